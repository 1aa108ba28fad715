#!/usr/bin/env bash
# The main job for a new user: set everything up, draw AU heatmaps on a free-licence demo photo, then open AU Lens
# in a local VS Code (the VS Code server the tests use) on a demo workspace. Ctrl+C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
photo=node_modules/@vladmandic/face-api/demo/sample1.jpg
node bin/au-lens.js aumap --image "$photo" --expression all --out out/aumap-sample1.png
echo "Wrote out/aumap-sample1.png: landmarks and the AU heatmap of every expression."
bash scripts/vscode-host/setup-vscode-host.sh
node scripts/vscode-host/demo-vscode.mjs
