#!/bin/bash
# The interception layer on real PyTorch (analysis/reports/h200.md, section
# "interception"), on the GPU machine from the repository root, with
# build/rel-nvidia-static/ built elsewhere (`make HW=nvidia STATIC=1`).
# Every step has a time limit: a hang shows as "timeout" and the next step
# runs. Results under $R (default runs/h200_shim), packed into $OUT.
set -u
B=${B:-build/rel-nvidia-static}
SHIM=$(realpath $B/libhipsched.so)
R=${R:-runs/h200_shim}
mkdir -p $R
export CUBLAS_WORKSPACE_CONFIG=:4096:8
. "$(dirname "$0")/step.sh"

nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
echo "== 0. smoke: a matmul under the shim, hpf, log on"
step 120 env HIPSCHED_LOG=1 HIPSCHED_POLICY=hpf LD_PRELOAD=$SHIM python3 -c \
 "import torch; x=torch.randn(256,256,device='cuda'); print('sum', (x@x).sum().item())" \
 > $R/smoke.log 2>&1; tail -5 $R/smoke.log; grep -c "hipsched\[" $R/smoke.log

echo "== 1. compatibility: native (profiler counts), native, pass-through, hpf"
C="python3 hw/bench/shim_compat.py --iters ${ITERS:-3}"
step 240 $C --profile --out $R/compat_prof.json 2> $R/compat_prof.log
step 200 $C --out $R/compat_native.json 2> $R/compat_native.log
step 200 env LD_PRELOAD=$SHIM $C --out $R/compat_pass.json 2> $R/compat_pass.log
step 200 env LD_PRELOAD=$SHIM HIPSCHED_POLICY=hpf HIPSCHED_STATS=$R/compat_hpf.shim.json \
	$C --out $R/compat_hpf.json 2> $R/compat_hpf.log
python3 hw/bench/shim_compat_diff.py $R/compat_native.json $R/compat_pass.json \
	$R/compat_hpf.json $R/compat_prof.json $R/compat_hpf.shim.json | tee $R/compat.txt

echo "== 2. overhead: ResNet-50 b32 closed loop, 10 s, native / pass-through / hpf, interleaved"
A="python3 hw/bench/pytorch_app.py --model resnet50 --batch 32 --duration 10 --warmup 20"
for i in 1 2; do
	step 90 $A --out $R/ovh_native_$i.csv
	step 90 env LD_PRELOAD=$SHIM $A --out $R/ovh_pass_$i.csv
	step 90 env LD_PRELOAD=$SHIM HIPSCHED_POLICY=hpf HIPSCHED_STATS=$R/ovh_hpf_$i.shim.json \
		$A --out $R/ovh_hpf_$i.csv
done
for m in native pass hpf; do for i in 1 2; do
	printf "%-7s %d: %s req/s\n" $m $i $(awk -F, 'NR>1{n++} END{printf "%.2f", n/10}' $R/ovh_${m}_$i.csv 2>/dev/null)
done; done | tee $R/overhead.txt

echo "== 3. the same-process test: ResNet-18 (stream prio -5) + ResNet-50 (0), hpf in the process"
step 300 python3 hw/bench/pytorch_plan.py same --duration ${DUR:-20} --policies hpf \
	--param linger=0.2 --shim $SHIM --out $R/same | tee $R/same.txt
tar czf $OUT/h200_shim.tar.gz $R 2>/dev/null; ls -la $OUT
