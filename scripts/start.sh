#!/usr/bin/env bash
# The main job for a new user: set everything up, then draw AU heatmaps on a free-licence demo photo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
photo=node_modules/@vladmandic/face-api/demo/sample1.jpg
node bin/au-lens.js aumap --image "$photo" --expression all --out out/aumap-sample1.png
echo "Open out/aumap-sample1.png to see the landmarks and the AU heatmap of every expression."
