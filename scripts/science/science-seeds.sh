#!/usr/bin/env bash
# The README's science table for one preset over several seeds: on CK+48 (the six expressions, split by subject),
# train with each λ and seed, evaluate each selected model on its held-out test subjects, and print mean ± sd over
# the seeds of accuracy, balanced accuracy, ATT-COS at the evaluated layer (and a ViT's rollout) and CAM-COS per
# method.
# Usage: bash scripts/science/science-seeds.sh [OUT_DIR] [MODEL] [EPOCHS] [LR] [LAMBDAS...]
# A run whose evaluation is already in OUT_DIR is kept, so an interrupted table resumes where it stopped
# (delete OUT_DIR, or the run's files, to train it again).
# Environment: SEEDS="0 1 2"  JOBS=2 (runs at once, one engine thread each)  EXTRA="--init FILE.onnx" (train flags)
#              SUMMARY_ONLY=1 (no training: the table of the runs already in OUT_DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-out/science-vit64}
model=${2:-vit64}
epochs=${3:-30}
lr=${4:-0.01}
lambdas=("${@:5}")
[ ${#lambdas[@]} -gt 0 ] || lambdas=(0 4)
seeds=(${SEEDS:-0 1 2})
JOBS=${JOBS:-2}
data=../shared/data/ck48
classes=happy,surprise,fear,anger,disgust,sad
threads=(--threads 1)
mkdir -p "$out"
source scripts/science/jobs.sh

if [ -z "${SUMMARY_ONLY:-}" ]; then
  for lam in "${lambdas[@]}"; do
    for seed in "${seeds[@]}"; do
      # shellcheck disable=SC2086
      run_job "$out/lambda-$lam-seed-$seed" "$seed" --model "$model" --lambda "$lam" --lr "$lr" --classes "$classes" \
        ${EXTRA:-}
    done
  done
  jobs_wait
fi
rows=()
for lam in "${lambdas[@]}"; do rows+=("$lam=lambda-$lam"); done
seed_list=$(IFS=,; echo "${seeds[*]}")
node scripts/science/seed-summary.mjs "$out" "$seed_list" "$model λ" "${rows[@]}" | tee "$out/summary.md"
