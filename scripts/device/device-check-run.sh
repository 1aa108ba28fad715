#!/bin/bash
# Device check on a GPU machine (copied to .devcarry/run.sh by device-check-prepare.sh): unpacks the Vulkan loader
# (into /, with DEVICE_MACHINE=1 only: never on a workstation), Node and onnxruntime-node from .devcarry, then checks
# WebGPU against the CPU for every preset. Writes everything to $OUT/device-check.log too.
C=$(cd "$(dirname "$0")" && pwd)
LOG=${OUT:-/tmp}/device-check.log
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
echo "== node $("$W/node" --version); vulkan loader: $(ldconfig -p | grep -c libvulkan.so.1); GPU: $(nvidia-smi -L 2>&1 | head -1)"
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$ICD" ] && export VK_DRIVER_FILES=$ICD
echo "== ICD: ${VK_DRIVER_FILES:-none found at $ICD}"
for args in "--device webgpu --model tiny64 --steps 20" "--device webgpu --model small96 --steps 10" "--device webgpu --model resnet18 --steps 5" "--device webgpu --model resnet50 --steps 3"; do
  echo "== device-check $args"
  timeout 240 "$W/node" "$C/device-check.cjs" $args --cpu-threads "${CPU_THREADS:-16}"
done
