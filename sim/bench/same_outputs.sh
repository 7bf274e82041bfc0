#!/bin/sh
# Byte-for-byte comparison of two hipsched binaries' simulator outputs:
# every bundled scenario (scenarios/*.ini) under every policy and several
# seeds. For each point it hashes the run directory's data files
# (summary.json, requests.csv, *.dat, report.html, plots.gp) and, on a
# shorter run, timeline.json. A change meant to make the simulator faster
# must leave every digest unchanged.
#
# usage: sim/bench/same_outputs.sh BASE_HIPSCHED NEW_HIPSCHED [SEEDS [DUR [TL_DUR]]]
#   SEEDS   seeds to run (default "1 7")
#   DUR     duration of the summary runs (default 2s)
#   TL_DUR  duration of the timeline runs, seed 1 (default 200ms)
# Also: sim/bench/same_outputs.sh --digests HIPSCHED ... prints one binary's
# digests (one line per point and file) without comparing.
# Exit status: 0 identical, 1 some digest differs (listed), 2 usage error.
set -e
digests_only=0
if [ "$1" = --digests ]; then
	digests_only=1
	shift
fi
usage="usage: same_outputs.sh [--digests] BASE_HIPSCHED [NEW_HIPSCHED] [SEEDS [DUR [TL_DUR]]]"
base=${1:?$usage}
if [ $digests_only = 1 ]; then
	new=
	shift
else
	new=${2:?$usage}
	shift 2
fi
seeds=${1:-1 7}
dur=${2:-2s}
tldur=${3:-200ms}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/same_outputs.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# plots are gnuplot's business, not the simulator's: a stand-in skips them
mkdir "$work/bin"
printf '#!/bin/sh\nexit 0\n' >"$work/bin/gnuplot"
chmod +x "$work/bin/gnuplot"
policies=$("$base" sim x --policy help 2>&1 | awk 'NR > 1 && NF { print $1 }')
[ -n "$policies" ] || { echo "same_outputs.sh: no policies from $base" >&2; exit 2; }

# digest BIN: one line "scenario policy seed file sha256" per output file
digest() {
	bin=$1
	for sc in "$root"/scenarios/*.ini; do
		name=$(basename "$sc" .ini)
		for p in $policies; do
			for seed in $seeds; do
				out="$work/run"
				rm -rf "$out"
				PATH="$work/bin:$PATH" "$bin" sim "$sc" --policy "$p" --seed "$seed" \
					--duration "$dur" --out "$out" --quiet -j 1 >/dev/null 2>&1 || true
				for f in summary.json requests.csv report.html plots.gp "$out"/*.dat; do
					f=$(basename "$f")
					[ -f "$out/$f" ] || { echo "$name $p $seed $f missing"; continue; }
					echo "$name $p $seed $f $(sha256sum <"$out/$f" | cut -c1-64)"
				done
			done
			rm -rf "$out"
			PATH="$work/bin:$PATH" "$bin" sim "$sc" --policy "$p" --seed 1 \
				--duration "$tldur" --out "$out" --timeline --quiet -j 1 >/dev/null 2>&1 || true
			if [ -f "$out/timeline.json" ]; then
				echo "$name $p 1 timeline.json $(sha256sum <"$out/timeline.json" | cut -c1-64)"
			else
				echo "$name $p 1 timeline.json missing"
			fi
		done
		# the scenario as written: its own policy, duration and seed
		rm -rf "$out"
		PATH="$work/bin:$PATH" "$bin" sim "$sc" --out "$out" --quiet -j 1 >/dev/null 2>&1 || true
		for f in summary.json requests.csv; do
			if [ -f "$out/$f" ]; then
				echo "$name own - $f $(sha256sum <"$out/$f" | cut -c1-64)"
			else
				echo "$name own - $f missing"
			fi
		done
	done
}

if [ $digests_only = 1 ]; then
	digest "$base"
	exit 0
fi
digest "$base" >"$work/a"
digest "$new" >"$work/b"
n=$(wc -l <"$work/a")
if cmp -s "$work/a" "$work/b"; then
	echo "same_outputs: $n digests identical ($(echo $policies | wc -w) policies, seeds $seeds, $dur; timelines $tldur)"
	exit 0
fi
echo "same_outputs: outputs differ (< base, > new):"
diff "$work/a" "$work/b" || true
exit 1
