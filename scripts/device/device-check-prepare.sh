#!/usr/bin/env bash
# Packs what the GPU check (scripts/device/device-check-run.sh) needs on a bare GPU machine without Node or network
# into .devcarry/ (git-ignored, ~38 MB): this Node binary and onnxruntime-node (xz), the bundled device check,
# placement reader and bench, Debian's Vulkan loader and GL libraries (the NVIDIA driver's Vulkan ICD needs them), and
# run.sh. On the GPU machine, from the repository root:
#   DEVICE_MACHINE=1 CPU_THREADS=16 bash .devcarry/run.sh      (unpacks into a temporary folder; dpkg -x needs root)
# and here, to see it run end to end on SwiftShader: bash .devcarry/run.sh --smoke
set -euo pipefail
cd "$(dirname "$0")/../.."
C=.devcarry
rm -rf "$C" && mkdir -p "$C/gl" "$C/onnxruntime-node/bin/napi-v6/linux/x64" "$C/onnxruntime-common"
npm run --silent build:device-check
# The placement reader and `au-lens bench` without the rest of the CLI (whose image packages are not carried).
npx esbuild scripts/device/placement.ts scripts/device/bench.ts --bundle --platform=node --target=node20 --format=cjs \
  --external:onnxruntime-node --outdir=out --out-extension:.js=.cjs --log-level=warning
cp out/device-check.cjs out/placement.cjs out/bench.cjs "$C/"
xz -T0 -6 -c "$(command -v node)" > "$C/node.xz"
ORT=node_modules/onnxruntime-node
cp -r "$ORT/package.json" "$ORT/dist" "$ORT/lib" "$C/onnxruntime-node/"
cp "$ORT/bin/napi-v6/linux/x64/onnxruntime_binding.node" "$C/onnxruntime-node/bin/napi-v6/linux/x64/"
xz -T0 -6 -c "$ORT/bin/napi-v6/linux/x64/libonnxruntime.so.1" > "$C/ort.xz"
cp -r node_modules/onnxruntime-common/package.json node_modules/onnxruntime-common/dist "$C/onnxruntime-common/"
LISTS=$(mktemp -d); mkdir -p "$LISTS/partial"
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$LISTS")
apt-get "${o[@]}" update >/dev/null
(cd "$C/gl" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>&1 | grep -v unsandboxed || true)
[ "$(ls "$C"/gl/*.deb | wc -l)" -eq 7 ] || { echo "device-check-prepare: apt-get download of the Vulkan/GL packages failed" >&2; exit 1; }
cp scripts/device/device-check-run.sh "$C/run.sh"
du -sh "$C"
