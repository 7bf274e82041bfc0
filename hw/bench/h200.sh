#!/bin/bash
# The plan's tests on real PyTorch processes (analysis/reports/h200.md), on
# the GPU machine from the repository root, with build/rel-nvidia-static/
# built elsewhere (`make HW=nvidia STATIC=1`). SECTIONS picks what runs:
#   dual    ResNet-18 b1 10/s (hp) + ResNet-50 b32 closed (lp), two processes:
#           alone, native, hipsched serve --policy hpf
#   same    the same two models as two streams of one process, hpf in it
#   three   vision 20/s + encoder Poisson 5/s + training job, hpf
#   rt      60 frames/s with a 6 ms deadline + batch job, edf
#   compat  shim_compat.py natively, pass-through and under hpf
#   overhead ResNet-50 b32 closed loop: native, pass-through, hpf in the
#           process at each THRESHOLD:SPIN_US[:PARAMS] of $OVH_CONFIGS
#           (default 16:200), $OVH_PROCS processes each (default 2)
#           taking turns of $OVH_TURN s (default 2) for $OVH_ROUNDS
#           rounds (default 20; hw/bench/overhead_turns.py), on CPUs
#           $OVH_PIN (taskset -c; default any); $OVH_MODES: more modes
#           under the library, NAME:VAR=V,... each
#   faults  the dual test with the server, then hp, SIGKILLed 8 s into the
#           hpf window (native and hpf windows, 20 s)
#   record  `hipsched record` of the plan's models (traces for the
#           simulator, no profiler) and `hipsched hw calibrate`
#   hostcost  ResNet-18 b1, back to back and at $HC_RATE/s, in each mode
#           of $HC_MODES (native, pass-through, record, alone under the
#           server, hpf in the process with variables): what the library
#           costs the host (hw/bench/hostcost.py prints the table)
#   calls   hw/bench/launch_cost.c: ns per driver call natively, in
#           pass-through, under hpf and under the server ($LC_ROUNDS rounds)
#   timeslice  hw/bench/timeslice.py: time slicing between two processes
#           (the profile's timeslice_ns, ctx_switch_ns)
# DUR (s per mode, default 30), POLICY_ARGS (extra pytorch_plan.py args),
# DUAL_LINGER (hpf's linger in the dual test, ms, default 3: at 0.2, 18 %
# of ResNet-18's requests saw ResNet-50 resumed in a host gap, h200.md 14),
# SAME_LINGER (the same-process test's, default 0.2),
# DUAL_POLICIES / THREE_POLICIES (default hpf; empty: only the variants),
# DUAL_VARIANTS / THREE_VARIANTS / SAME_VARIANTS (pytorch_plan.py --variant
# arguments),
# COMPAT_ONLY (compat cases to run, comma-separated; default all).
# Results in $R (default runs/h200), packed into $OUT/h200.tar.xz (in parts
# h200.tar.xz.part-aa, -ab, ... past 15 MB: cat them, then tar xJf).
set -u
B=${B:-build/rel-nvidia-static}
H=$(realpath $B/hipsched)
SHIM=$(realpath $B/libhipsched.so)
R=${R:-runs/h200}
DUR=${DUR:-30}
SECTIONS=${SECTIONS:-dual same three}
mkdir -p $R
export CUBLAS_WORKSPACE_CONFIG=:4096:8 HIPSCHED_SHIM=$SHIM
. "$(dirname "$0")/step.sh"
plan() { local t=$1; shift; step $t python3 hw/bench/pytorch_plan.py "$@" \
	--hipsched $H --shim $SHIM ${POLICY_ARGS:-}; }
# ROUNDS (default 1): dual, same, three and rt run every window that many
# times, interleaved, figures pooled (pytorch_plan.py --rounds); with
# UNTIL_DECIDED=1, ROUNDS is the most: they stop once every P99/alone bar
# lies outside its 95 % interval (--until-decided)
# a lone application's server (hostcost, calls): hpf, the dual test's
# linger; SOCK LOG, then solo_server_stop
solo_server() { $H serve --policy hpf --param linger=3 --socket $1 > $2 2>&1 & SRV=$!
	for _ in $(seq 100); do [ -S $1 ] && break; sleep 0.05; done; }
solo_server_stop() { kill $SRV; wait $SRV 2>/dev/null; }
ROUNDS_ARG="--rounds ${ROUNDS:-1}${UNTIL_DECIDED:+ --until-decided}"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
# BUDGET (s, default 560): a section is not started past it; the results
# so far are packed after every section
BUDGET=${BUDGET:-560}
for s in $SECTIONS; do
[ $SECONDS -gt $BUDGET ] && { echo "== $s skipped: ${SECONDS}s used of ${BUDGET}s"; continue; }
case $s in
dual)  plan 560 dual $ROUNDS_ARG --duration $DUR --policies=${DUAL_POLICIES-hpf} --param linger=${DUAL_LINGER:-3} \
	${DUAL_VARIANTS:-} \
	--out $R/dual | tee $R/dual.txt ;;
same)  plan 560 same $ROUNDS_ARG --duration ${SAME_DUR:-20} --policies hpf --param linger=${SAME_LINGER:-0.2} \
	${SAME_VARIANTS:-} --out $R/same | tee $R/same.txt ;;
three) plan 560 three $ROUNDS_ARG --duration ${THREE_DUR:-20} --policies=${THREE_POLICIES-hpf} \
	--param linger=${THREE_LINGER:-1} ${THREE_VARIANTS:-} \
	--out $R/three | tee $R/three.txt ;;
rt)    plan 560 rt $ROUNDS_ARG --duration ${RT_DUR:-20} --policies edf --param linger=0.2 --out $R/rt | tee $R/rt.txt ;;
compat)
	C="python3 hw/bench/shim_compat.py --iters 3 ${COMPAT_ONLY:+--only $COMPAT_ONLY}"
	step 240 $C --profile --out $R/compat_prof.json 2> $R/compat_prof.log
	step 200 $C --out $R/compat_native.json 2> $R/compat_native.log
	step 200 env LD_PRELOAD=$SHIM $C --out $R/compat_pass.json 2> $R/compat_pass.log
	step 200 env LD_PRELOAD=$SHIM HIPSCHED_POLICY=hpf $C --out $R/compat_hpf.json 2> $R/compat_hpf.log
	python3 hw/bench/shim_compat_diff.py $R/compat_native.json $R/compat_pass.json \
		$R/compat_hpf.json $R/compat_prof.json | tee $R/compat.txt ;;
faults)
	for who in server hp; do
		plan 200 dual --duration 20 --modes native,policy --policies hpf \
			--param linger=0.2 --kill $who@8 --out $R/fault_$who | tee $R/fault_$who.txt
	done ;;
overhead)
	# overhead_turns.py: every mode's OVH_PROCS processes (default 2) warm
	# at once, then OVH_ROUNDS rounds (default 20) in which each runs a
	# window of OVH_TURN s (default 2) in turn: a ratio to native a round;
	# OVH_CONFIGS: hpf in the process at THRESHOLD:SPIN_US[:PARAMS] each (a
	# held caller polls its marker SPIN_US before it sleeps:
	# HIPSCHED_SPIN_US; PARAMS: HIPSCHED_PARAMS, e.g. lift=1)
	# (nvidia-smi every 200 ms beside it: SM clock, power, temperature)
	# OVH_PIN: CPU list every mode runs on (taskset -c), default unpinned
	# OVH_MODES: more modes under the library, NAME:VAR=V,... each (e.g.
	# poll120:HIPSCHED_POLICY=hpf,HIPSCHED_POLL_US=120)
	M="--mode native --mode pass:LD_PRELOAD=$SHIM"
	for c in ${OVH_CONFIGS:-16:200}; do
		IFS=: read -r t sp par <<< "$c"
		# lift=1 -> lift1: one name a config
		M="$M --mode hpf_t${t}_s${sp}${par:+_${par//[=,]/}}:LD_PRELOAD=$SHIM,HIPSCHED_POLICY=hpf"
		M="$M,HIPSCHED_THRESHOLD=$t,HIPSCHED_SPIN_US=$sp${par:+,HIPSCHED_PARAMS=$par}"
	done
	for m in ${OVH_MODES:-}; do M="$M --mode ${m%%:*}:LD_PRELOAD=$SHIM,${m#*:}"; done
	nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,utilization.gpu \
		--format=csv -lms 200 > $R/ovh_smi.csv 2>&1 & SMI=$!
	step 560 ${OVH_PIN:+taskset -c $OVH_PIN} python3 hw/bench/overhead_turns.py $M \
		--procs ${OVH_PROCS:-2} --rounds ${OVH_ROUNDS:-20} --turn-s ${OVH_TURN:-2} \
		--out $R/overhead -- --model resnet50 --batch 32 --warmup 20 | tee $R/overhead.txt
	kill $SMI
	;;
record)
	mkdir -p $R/traces
	# each model with its arrivals in the tests: an online model's host
	# times at 10-20 req/s are not those of a closed loop (ResNet-18 b1:
	# 1.7 ms a request back to back, P50 3.1-3.3 ms at 10/s; 2026-12-02)
	for spec in resnet18_b1:"--model resnet18 --batch 1 --arrival periodic --rate 10":36 \
		resnet50_b32:"--model resnet50 --batch 32 --arrival closed":8 \
		resnet50_b1:"--model resnet50 --batch 1 --arrival periodic --rate 20":20 \
		transformer_b8:"--model transformer --batch 8 --arrival poisson --rate 5":70 \
		resnet50_b32_train:"--model resnet50 --batch 32 --train --arrival closed":8; do
		n=${spec%%:*}; a=${spec#*:}; d=${a##*:}; a=${a%:*}
		step $((d + 60)) $H record -o $R/traces/$n.csv --requests ${REC_N:-300} --warmup 30 \
			--log $R/traces/$n.log -- python3 hw/bench/pytorch_app.py $a \
			--duration ${REC_DUR:-$d} > $R/traces/$n.out 2>&1
		tail -2 $R/traces/$n.out; gzip -f $R/traces/$n.log
	done
	step 200 $H hw calibrate --base sim/devices/h100.ini -o $R/h200.ini > $R/calibrate.txt 2>&1
	tail -20 $R/calibrate.txt ;;
hostcost)
	# ResNet-18 b1 (host-bound) in each mode of $HC_MODES, $HC_ROUNDS rounds
	# (default 2), modes one after another within a round: back to back
	# for $HC_CLOSED s (default 4: req/s is the host's cost a request),
	# then at $HC_RATE/s (default 10) for $HC_DUR s (default 15: P50, P99).
	# Modes: native; pass (LD_PRELOAD, no policy); record (`hipsched
	# record`); remote (alone under `hipsched serve --policy hpf`, linger
	# 3: the dual test's solo window; remoteNAME@VAR=V,... with those
	# variables, e.g. remote_hold@HIPSCHED_IDLE_HOLD_US=1000);
	# NAME@VAR=V,VAR=V (hpf in the process,
	# threshold 1024 as the server gives a top queue, with those variables)
	HC_MODES=${HC_MODES:-native pass hpf@ hpf_poll100@HIPSCHED_POLL_US=100 hpf_b64@HIPSCHED_BATCH=64 remote}
	A="python3 hw/bench/pytorch_app.py --model resnet18 --batch 1 --warmup 20"
	for m in $HC_MODES; do echo ${m%%@*}; done > $R/hc_modes.txt
	for i in $(seq ${HC_ROUNDS:-2}); do for m in $HC_MODES; do
		n=${m%%@*}
		for kind in closed open; do
			o=$R/hc_${n}_${i}_$kind
			if [ $kind = closed ]; then arr="--arrival closed --duration ${HC_CLOSED:-4}"
			else arr="--arrival periodic --rate ${HC_RATE:-10} --duration ${HC_DUR:-15}"; fi
			st="HIPSCHED_STATS=$o.shim.json"
			case $m in
			native) step 60 $A $arr --out $o.csv ;;
			pass)   step 60 env LD_PRELOAD=$SHIM $A $arr --out $o.csv ;;
			record) step 80 $H record -o $o.trace.csv --warmup 20 --log $o.log -- $A $arr --out $o.csv
				gzip -f $o.log; rm -f $o.trace.csv ;;
			remote|remote*@*) v=${m#remote}; v=${v#*@}
				solo_server $o.sock $o.serve.log
				step 60 env $st ${v:+${v//,/ }} $H run --name hp --priority 10 --socket $o.sock -- $A $arr --out $o.csv
				solo_server_stop ;;
			*@*)    v=${m#*@}
				step 60 env LD_PRELOAD=$SHIM HIPSCHED_POLICY=hpf HIPSCHED_THRESHOLD=1024 $st \
					${v:+${v//,/ }} $A $arr --out $o.csv ;;
			*)      echo "hostcost: unknown mode $m (native, pass, record, remote, NAME@VAR=V,...)" >&2
				exit 2 ;;
			esac
		done
	done; done
	python3 hw/bench/hostcost.py $R --json $R/hostcost.json | tee $R/hostcost.txt
	;;
calls)
	# hw/bench/launch_cost.c: ns per driver call (an empty kernel's launch,
	# a sync every 126; the library's own driver calls) natively, in
	# pass-through, hpf in the process, and alone under the server
	LC=$(realpath $B/launch_cost)
	for i in $(seq ${LC_ROUNDS:-3}); do
		step 60 $LC $R/lc_native_$i.json > $R/lc_native_$i.txt
		step 60 env LD_PRELOAD=$SHIM $LC $R/lc_pass_$i.json > $R/lc_pass_$i.txt
		step 60 env LD_PRELOAD=$SHIM HIPSCHED_POLICY=hpf HIPSCHED_THRESHOLD=1024 \
			HIPSCHED_STATS=$R/lc_hpf_$i.shim.json $LC $R/lc_hpf_$i.json > $R/lc_hpf_$i.txt
		solo_server $R/lc.sock $R/lc_serve_$i.log
		step 60 env HIPSCHED_STATS=$R/lc_remote_$i.shim.json $H run --name lc --priority 10 \
			--socket $R/lc.sock -- $LC $R/lc_remote_$i.json > $R/lc_remote_$i.txt
		solo_server_stop
	done
	python3 - $R ${LC_ROUNDS:-3} <<'PY' | tee $R/calls.txt
import json
import sys
r, n = sys.argv[1], int(sys.argv[2])
modes = ("native", "pass", "hpf", "remote")
figs = ("launch", "capturing", "record", "query", "event")
print("%-7s %s   own ns/cmd   (ns per call, median of %d rounds)" % ("mode", " ".join("%10s" % f for f in figs), n))
for m in modes:
    v = {f: sorted(json.load(open("%s/lc_%s_%d.json" % (r, m, i)))["ns"][f] for i in range(1, n + 1)) for f in figs}
    own = []
    for i in range(1, n + 1):
        try:
            q = json.load(open("%s/lc_%s_%d.shim.json" % (r, m, i)))["queues"]
            own.append(sum(x.get("own_ns", 0) for x in q) / max(1, sum(x["commands"] for x in q)))
        except (OSError, ValueError, KeyError):
            pass
    print("%-7s %s   %s" % (m, " ".join("%10.1f" % v[f][len(v[f]) // 2] for f in figs),
                            "%.0f" % sorted(own)[len(own) // 2] if own else "-"))
PY
	;;
timeslice)
	step 200 python3 hw/bench/timeslice.py --sizes ${TS_SIZES:-2048,8192,1024} --bursts ${TS_BURSTS:-20:0,20:20,20:100} --out $R/timeslice.json | tee $R/timeslice.txt ;;
esac
# xz, in parts of 15 MB: a file over 16 MiB does not come back from $OUT
# (the record section made 17 MB of gzip); a trace's CSV stays behind, its
# log comes back (`hipsched record --convert` makes the CSV again)
rm -f $OUT/h200.tar.xz*
tar cJf $OUT/h200.tar.xz --exclude='*.sock' --exclude='traces/*.csv' $R 2>/dev/null
[ $(stat -c %s $OUT/h200.tar.xz) -gt 15000000 ] && \
	split -b 15000000 $OUT/h200.tar.xz $OUT/h200.tar.xz.part- && rm $OUT/h200.tar.xz
done
ls -la $OUT
