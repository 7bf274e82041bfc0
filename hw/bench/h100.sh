#!/bin/bash
# The measurements of analysis/reports/h100.md, from the repository root on
# a machine with an NVIDIA GPU (built elsewhere with `make HW=nvidia
# STATIC=1`; copy ./hipsched, build/rel-nvidia-static/check_all, scenarios/,
# hw/bench/, hw/devices/, traces/data/resnet*.csv and sim/devices/ along).
# Writes the profile to $OUT (default /tmp/h100) and run directories to
# runs/h100/.
set -u
OUT=${OUT:-/tmp/h100}
H=${H:-./hipsched}
CHECK=${CHECK:-build/rel-nvidia-static/check_all}
mkdir -p "$OUT" runs/h100
R=runs/h100
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv

echo "== GPU tests (make hwcheck)"
HIPSCHED_GPU_TESTS=1 CK_DEFAULT_TIMEOUT=300 $CHECK hw

echo "== calibration"
$H hw calibrate -o "$OUT/h100_hw.ini" --base sim/devices/h100.ini
export HIPSCHED_CALIB="$OUT/h100_hw.ini"

echo "== 1. dual_resnet on hardware (30 s each mode)"
# lp in its own process: the parent's policy server serves hpf to both
# processes (hw/serve); its decisions and round trips are in each run's
# summary.json (decisions, decision_rtt_ms) and the printed table
$H hw --out $R/dual_hpf scenarios/dual_resnet.ini
for spin in 0 1; do
	HIPSCHED_RELAY_SPIN=$spin \
		$H hw --duration 10s --out $R/dual10_spin$spin scenarios/dual_resnet.ini
done
echo "== policy server round trip over a Unix socket"
$H serve --bench
HIPSCHED_RELAY_SPIN=1 $H serve --bench
$H hw --out $R/shared_hpf hw/bench/dual_shared.ini
$H hw --out $R/shared_linger hw/bench/dual_shared_linger.ini
for p in hpf streamprio; do
	$H hw --duration 10s --policy $p --out $R/dual10_$p scenarios/dual_resnet.ini
	$H hw --duration 10s --policy $p --out $R/shared10_$p hw/bench/dual_shared.ini
done

echo "== 3. preemption latency (hp at 50 req/s, lp in the same process)"
for lv in 1 2; do for th in 1 2 4 8 16; do
	[ $lv = 2 ] && [ $th != 16 ] && [ $th != 4 ] && continue
	b=$(( th < 8 ? th : 8 ))
	sed -e "s/^rate = 10 .*/rate = 50/" -e "s/^level = 1 .*/level = $lv/" \
	    -e "s/^threshold = 16 .*/threshold = $th/" -e "s/^batch = 8 .*/batch = $b/" \
	    hw/bench/dual_shared.ini > hw/bench/pre_l${lv}_t$th.ini
	$H hw --duration 4s --out $R/pre_l${lv}_t$th hw/bench/pre_l${lv}_t$th.ini |
		grep -E "preemption|^hp|^lp"
done; done

echo "== 4. overhead: the batch tenant alone, hipsched (hpf) vs direct launches"
for i in 1 2; do
	$H hw --duration 10s --out $R/lp_only_$i hw/bench/lp_only.ini | grep -E "^lp"
	$H hw direct --duration 10s hw/bench/lp_only.ini
done

# 2. fidelity, back on any machine: the simulator with the calibrated
# profile, same scenario and seed, then `hipsched compare`:
#   HIPSCHED_DEVICES=hw/devices ./hipsched sim --out runs/sim_dual scenarios/dual_resnet.ini
#   ./hipsched compare runs/sim_dual runs/h100/dual_hpf
#   mkdir -p /tmp/dev && cp $OUT/h100_hw.ini /tmp/dev/h100.ini
#   HIPSCHED_DEVICES=/tmp/dev ./hipsched sim --out runs/sim_shared_linger hw/bench/dual_shared_linger.ini
#   ./hipsched compare runs/sim_shared_linger runs/h100/shared_linger
