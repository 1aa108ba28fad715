#!/usr/bin/env bash
# face-api's expression network on CK+48 (docs/results/faceapi-expression-ck48.md): the pretrained model on every
# image, then on CK+48 split by subject (seed 0, 70/15/15) fine-tuning it with λ = 0 and λ = 1 against tiny64 from
# scratch with λ = 0 and λ = 1, all for the same number of epochs; each selected model is evaluated on the held-out
# test subjects. Usage: bash scripts/science/faceapi-check.sh [OUT_DIR] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-out/faceapi}
epochs=${2:-60}
data=../shared/data/ck48
cli="node bin/au-lens.js"
mkdir -p "$out"
$cli eval --model faceapi-expression --data "$data" --json "$out/pretrained-all.eval.json" > "$out/pretrained-all.eval.txt" 2>&1
$cli eval --model faceapi-expression --data "$data" --split test --json "$out/pretrained.eval.json" > "$out/pretrained.eval.txt" 2>&1
run() {
  local name=$1; shift
  rm -rf "${out:?}/$name"
  local start
  start=$(date +%s)
  $cli train --data "$data" --out "$out/$name" --epochs "$epochs" --seed 0 "$@" > "$out/$name.train.log" 2>&1
  echo "$name: $(( $(date +%s) - start )) s (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/times.txt"
  $cli eval --checkpoint "$out/$name/best.ckpt" --data "$data" --split test --json "$out/$name.eval.json" > "$out/$name.eval.txt" 2>&1
}
run faceapi-l0 --init faceapi-expression --lambda 0 --lr 0.005
run faceapi-l1 --init faceapi-expression --lambda 1 --lr 0.005
run tiny64-l0 --model tiny64 --lambda 0 --lr 0.05
run tiny64-l1 --model tiny64 --lambda 1 --lr 0.05
