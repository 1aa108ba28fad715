#!/bin/bash
# The one GPU check (copied to .devcarry/run.sh by device-check-prepare.sh), for a lent GPU machine without Node or
# network, in at most 8 minutes: unpacks the Vulkan loader (into /, with DEVICE_MACHINE=1 only: never on a
# workstation), Node and onnxruntime-node from .devcarry; then, most important first, each step cut short or skipped
# when the 8 minutes run out: the device check's training steps for every preset (WebGPU against this machine's CPU),
# `au-lens bench train` on the GPU (the issue's targets: small96 and resnet50, at the peer's batch and a GPU-sized one)
# and on the CPU, then every preset's, `bench infer`, the WebGPU layout experiment (NCHW against ORT's NHWC), the
# inference and explanation checks, and where ORT places every graph's nodes.
#   DEVICE_MACHINE=1 CPU_THREADS=16 bash .devcarry/run.sh     on the GPU machine (the log goes to $OUT, else docs/results)
#   bash .devcarry/run.sh --smoke                              here, on SwiftShader (chromium's CPU Vulkan driver):
#                                                              tiny64 at batch 2, to see that every kind of step runs
C=$(cd "$(dirname "$0")" && pwd)
SMOKE=; [ "${1:-}" = --smoke ] && SMOKE=1
LIMIT=${LIMIT_S:-480}
[ -n "$SMOKE" ] && LIMIT=${LIMIT_S:-3600}
START=$(date +%s)
if [ -n "${OUT:-}" ]; then LOG=$OUT/gpu-check.log
elif [ -n "$SMOKE" ]; then LOG=${TMPDIR:-/tmp}/gpu-check-smoke.log
else mkdir -p docs/results; LOG=docs/results/gpu-check-$(date +%Y-%m-%d).log; fi
exec > >(tee "$LOG") 2>&1

if [ -n "${DEVICE_MACHINE:-}" ] && [ -n "$(ls "$C"/gl/*.deb 2>/dev/null)" ]; then
  for f in "$C"/gl/*.deb; do dpkg -x "$f" /; done; ldconfig
fi
unxz() { python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$1" "$2"; }
W=$(mktemp -d)
mkdir -p "$W/nm"
unxz "$C/node.xz" "$W/node"; chmod +x "$W/node"
cp -r "$C/onnxruntime-node" "$C/onnxruntime-common" "$W/nm/"
unxz "$C/ort.xz" "$W/nm/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
export NODE_PATH=$W/nm
if [ -n "$SMOKE" ]; then
  # WebGPU on SwiftShader, as test/helpers/swiftShader.ts finds it; the CPU side at this machine's cores.
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json
  export LD_LIBRARY_PATH=/usr/lib/chromium${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} XDG_RUNTIME_DIR=$(mktemp -d)
  CPU_THREADS=${CPU_THREADS:-$(nproc)}
else
  ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$ICD" ] && export VK_DRIVER_FILES=$ICD
fi
CPU_THREADS=${CPU_THREADS:-16}
echo "== node $("$W/node" --version); vulkan loader: $(ldconfig -p | grep -c libvulkan.so.1); GPU: $(nvidia-smi -L 2>/dev/null | head -1)"
echo "== ICD: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-none}}; CPU threads: $CPU_THREADS; limit ${LIMIT} s${SMOKE:+; smoke run}"

# step SECONDS LABEL COMMAND…: runs it with at most SECONDS, fewer when the limit is near; skipped when under 15 s remain.
step() {
  local want=$1 label=$2; shift 2
  local left=$((LIMIT - ($(date +%s) - START)))
  if [ "$left" -lt 15 ]; then echo "== $label: skipped, ${left} s left of ${LIMIT}"; return; fi
  local t=$((want < left ? want : left)) t0
  t0=$(date +%s)
  echo "== $label (at $((t0 - START)) s, timeout $t s)"
  timeout "$t" bash -c '"$@"' step "$@"; local rc=$?
  [ "$rc" -ne 0 ] && echo "== $label: exit $rc$([ "$rc" -eq 124 ] && echo ' (timed out)')"
  echo "== $label: $(($(date +%s) - t0)) s"
}
check() { "$W/node" "$C/device-check.cjs" --device webgpu --cpu-threads "$CPU_THREADS" --steps 0 "$@"; }
gpu_bench() { AU_LENS_DEVICE=webgpu "$W/node" "$C/bench.cjs" "$@"; }
cpu_bench() { AU_LENS_DEVICE=cpu "$W/node" "$C/bench.cjs" "$@" --threads "$CPU_THREADS"; }
# `timeout` runs programs, not functions: each step runs in a bash that has them.
export -f check gpu_bench cpu_bench
export W C CPU_THREADS

if [ -n "$SMOKE" ]; then
  # SwiftShader runs WebGPU at well under 1 GFLOP/s: tiny64 at batch 2 only (test/webgpu checks resnet18 at 32 px).
  T=900
  step $T "device-check tiny64 training" check --model tiny64 --batch 2 --checks train
  step $T "bench train tiny64 on the GPU" gpu_bench train --model tiny64 --batch 2 --steps 1 --reps 1 --warmup 0
  step $T "bench train tiny64 on the CPU" cpu_bench train --model tiny64 --batch 2 --steps 1 --reps 1 --warmup 0
  export AU_LENS_WEBGPU_LAYOUT=NCHW
  step $T "bench infer tiny64 on the GPU, NCHW layout" gpu_bench infer --model tiny64 --batch 2 --steps 1 --reps 1 --warmup 0
  unset AU_LENS_WEBGPU_LAYOUT
  step $T "device-check tiny64 inference and explanation" check --model tiny64 --batch 2 --checks infer,explain
  step $T "placement tiny64" "$W/node" "$C/placement.cjs" --models tiny64
else
  for m in tiny64 small96 resnet18 resnet50; do step 150 "device-check $m training" check --model "$m" --checks train; done
  GPU="--steps 5 --reps 2 --warmup 2"
  CPU="--steps 3 --reps 2 --warmup 1"
  step 120 "bench train small96 on the GPU" gpu_bench train --model small96 $GPU
  step 120 "bench train small96 on the GPU, batch 128" gpu_bench train --model small96 --batch 128 $GPU
  step 120 "bench train resnet50 on the GPU" gpu_bench train --model resnet50 $GPU
  step 150 "bench train resnet50 on the GPU, batch 32" gpu_bench train --model resnet50 --batch 32 $GPU
  step 90 "bench train small96 on the CPU" cpu_bench train --model small96 $CPU
  step 120 "bench train resnet50 on the CPU" cpu_bench train --model resnet50 $CPU
  for m in tiny64 resnet18; do
    step 90 "bench train $m on the GPU" gpu_bench train --model "$m" $GPU
    step 90 "bench train $m on the CPU" cpu_bench train --model "$m" $CPU
  done
  for m in tiny64 small96 resnet18 resnet50; do
    step 90 "bench infer $m on the GPU" gpu_bench infer --model "$m" $GPU
    step 90 "bench infer $m on the CPU" cpu_bench infer --model "$m" $CPU
  done
  export AU_LENS_WEBGPU_LAYOUT=NCHW
  step 120 "bench train small96 on the GPU, batch 128, NCHW layout" gpu_bench train --model small96 --batch 128 $GPU
  step 150 "bench train resnet50 on the GPU, batch 32, NCHW layout" gpu_bench train --model resnet50 --batch 32 $GPU
  unset AU_LENS_WEBGPU_LAYOUT
  for m in tiny64 small96 resnet18 resnet50; do step 120 "device-check $m inference and explanation" check --model "$m" --checks infer,explain; done
  step 120 "placement of every graph" "$W/node" "$C/placement.cjs"
fi
echo "== done in $(($(date +%s) - START)) s; log: $LOG"
