# Sourced by the GPU measurement scripts (h200.sh, h200_shim.sh).
# step LIMIT CMD...: runs CMD and prints its exit status and wall time;
# past LIMIT seconds it gets SIGUSR1, then every pytorch_app.py also gets
# SIGUSR1 (it prints its threads' Python stacks into its log) and is
# killed, with any `hipsched serve` left, so the next step starts clean.
# Always returns 0: one step's failure does not stop the script.
step() { local t=$1; shift; echo "== $* (limit ${t}s)"; local s=$(date +%s%N)
	timeout -s USR1 -k 10 $t "$@"; local rc=$?
	[ $rc = 124 ] && { pkill -USR1 -f pytorch_app.py; sleep 3; pkill -9 -f pytorch_app.py; pkill -9 -f "hipsched serve"; }
	echo "== rc $rc, $(( ($(date +%s%N) - s) / 1000000 )) ms"; return 0; }
