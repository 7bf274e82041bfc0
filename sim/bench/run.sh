#!/bin/sh
# `make bench`: the simulator's speed against the issue's bars and against
# a minimal binary-heap event loop (sim/bench/ceiling.c), in one run.
# usage: sim/bench/run.sh HIPSCHED SIM_CEILING [DURATION]
set -e
hs=${1:?usage: run.sh HIPSCHED SIM_CEILING [DURATION]}
ceil=${2:?usage: run.sh HIPSCHED SIM_CEILING [DURATION]}
dur=${3:-10s}
dir=$(dirname "$0")
# "kernels/s events/s" of the first (duration d) line of --bench
fig() {
	"$hs" sim "$dir/tenants_$1.ini" --bench --duration "$dur" |
		awk '/kernels\/s/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "M" && $(i+2) == "kernels/s") k = $i; if ($(i+1) == "M" && $(i+2) == "events/s") e = $i } print k, e; exit }'
}
set -- $(fig 2); k2=$1; e2=$2
set -- $(fig 8); k8=$1
set -- $(fig 32); k32=$1
set -- $(fig 128); k128=$1; e128=$2
c=$("$ceil" | awk '{ print $2 }')
echo "simulator speed, one core, policy hpf, $dur simulated (sim/bench/tenants_N.ini):"
awk -v k2="$k2" -v k8="$k8" -v k32="$k32" -v k128="$k128" -v e2="$e2" -v e128="$e128" -v c="$c" 'BEGIN {
	printf "  kernels/s   2 tenants %6.2f M   (bar 15 M: %.2fx)\n", k2, k2 / 15
	printf "  kernels/s   8 tenants %6.2f M\n", k8
	printf "  kernels/s  32 tenants %6.2f M\n", k32
	printf "  kernels/s 128 tenants %6.2f M   (bar  5 M: %.2fx)\n", k128, k128 / 5
	printf "  flatness  128 / 2     %6.2f\n", k128 / k2
	printf "  events/s    2 tenants %6.2f M   ceiling %.2f M: %.2f of it\n", e2, c, e2 / c
	printf "  events/s  128 tenants %6.2f M   ceiling %.2f M: %.2f of it\n", e128, c, e128 / c
}'
