#!/usr/bin/env bash
# face-api's expression network on CK+48 (docs/results/faceapi-expression-ck48.md): the pretrained model on every
# image, then on CK+48 split by subject (seed 0, 70/15/15) fine-tuning it with λ = 0 and λ = 1 against tiny64 from
# scratch with λ = 0 and λ = 1, all for the same number of epochs; each selected model is evaluated on the held-out
# test subjects. With --seeds, every run is repeated once per seed (the seed draws the subject split, the initial
# head or weights and the augmentation) and the table gives mean ± sd over the seeds; the pretrained model's test
# scores stay on seed 0's split.
# Usage: [THREADS=N] [JOBS=N] bash scripts/science/faceapi-check.sh [--seeds 0,1,2] [OUT_DIR] [EPOCHS]
# THREADS: engine threads per run (default: all cores); JOBS: runs at a time (default 1), e.g. THREADS=1 JOBS=2 on two
# cores. A run whose evaluation JSON exists is skipped (scripts/science/jobs.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds=0
if [ "${1:-}" = --seeds ]; then seeds=${2:?--seeds needs a comma-separated list, e.g. 0,1,2}; shift 2; fi
IFS=, read -r -a seed_list <<< "$seeds"
out=${1:-out/faceapi}
epochs=${2:-60}
data=../shared/data/ck48
cli="node bin/au-lens.js"
threads=(); if [ -n "${THREADS:-}" ]; then threads=(--threads "$THREADS"); fi
mkdir -p "$out"
source scripts/science/jobs.sh
pretrained() {  # name, then eval flags
  local name=$1; shift
  $cli eval --model faceapi-expression --data "$data" "$@" "${threads[@]}" --json "$out/$name.eval.json" \
    > "$out/$name.eval.txt" 2>&1
}
job "$out/pretrained-all.eval.json" pretrained pretrained-all
job "$out/pretrained.eval.json" pretrained pretrained --split test
run() {  # name, then train flags: one job per seed
  local name=$1 seed; shift
  for seed in "${seed_list[@]}"; do run_job "$out/$name-seed-$seed" "$seed" "$@"; done
}
run faceapi-l0 --init faceapi-expression --lambda 0 --lr 0.005
run faceapi-l1 --init faceapi-expression --lambda 1 --lr 0.005
run tiny64-l0 --model tiny64 --lambda 0 --lr 0.05
run tiny64-l1 --model tiny64 --lambda 1 --lr 0.05
jobs_wait
node scripts/science/seed-summary.mjs "$out" "$seeds" run \
  "faceapi-expression λ=0=faceapi-l0" "faceapi-expression λ=1=faceapi-l1" "tiny64 λ=0=tiny64-l0" "tiny64 λ=1=tiny64-l1" \
  | tee "$out/summary.md"
