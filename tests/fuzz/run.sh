#!/usr/bin/env bash
# Runs each fuzz harness (build/fuzz/fuzz_NAME) for SECONDS on its corpus,
# seeded from tests/fixtures; prints one line of figures per harness and
# exits 1 if any found a crash (the input is kept in build/fuzz/crash/).
#   tests/fuzz/run.sh SECONDS NAME...
set -uo pipefail
secs=$1
shift
B=build/fuzz
mkdir -p "$B/crash"

seeds() {       # the fixtures a harness starts from
	case $1 in
	canonical|simtrace) ls tests/fixtures/traces/*.csv tests/fixtures/scenarios/*.csv ;;
	kineto) ls tests/fixtures/traces/*.json ;;
	rocprof) ls tests/fixtures/traces/*rocprof*.csv ;;
	nsys) ls tests/fixtures/traces/*nsys*.csv ;;
	auto) ls tests/fixtures/traces/* ;;
	scenario) ls tests/fixtures/scenarios/*.ini scenarios/*.ini ;;
	arrivals) ls tests/fixtures/scenarios/*.txt ;;
	device) ls sim/devices/*.ini hw/devices/*.ini ;;
	wire) ls tests/fixtures/wire/* 2>/dev/null ;;
	esac
}

fail=0
for n in "$@"; do
	corpus=$B/corpus/$n
	mkdir -p "$corpus"
	for f in $(seeds "$n"); do
		[ -f "$f" ] && [ "$(stat -c %s "$f")" -le 65536 ] && cp -n "$f" "$corpus/"
	done
	log=$B/$n.log
	"$B/fuzz_$n" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$B/crash/$n-" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	ncorp=$(ls "$corpus" | wc -l)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ $rc -ne 0 ]; then
		fail=1
		echo "fuzz $n: FOUND a crash after ${execs:-?} executions (see $log):"
		grep -m3 -E 'ERROR|runtime error|fuzz:' "$log"
		ls -t "$B/crash/$n-"* 2>/dev/null | head -1
	else
		echo "fuzz $n: ${execs:-?} executions in ${secs} s, ${cov:-cov ?}, corpus $ncorp, no crash"
	fi
done
exit $fail
