#!/usr/bin/env bash
# Installs what AU Lens needs on a fresh Debian machine with Node 20. Idempotent: reruns are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

# onnxruntime-node's install script would download the CUDA provider; its CPU binary ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm packages"
  npm ci --no-audit --no-fund
fi

echo "== building"
npm run --silent build
