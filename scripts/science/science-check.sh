#!/usr/bin/env bash
# The README's science check: on CK+48 (6 classes, split by subject), train the CE-only baseline (λ = 0) and
# AU-guided models with the same seed, preset and epochs, then evaluate each selected model on the held-out
# test subjects. With --seeds, every λ runs once per seed (the seed draws the subject split, the initial weights
# and the augmentation) and the table gives mean ± sd over the seeds.
# Usage: [THREADS=N] [JOBS=N] bash scripts/science/science-check.sh [--seeds 0,1,2] [OUT_DIR] [EPOCHS] [LAMBDAS...]
# THREADS: engine threads per run (default: all cores); JOBS: runs at a time (default 1), e.g. THREADS=1 JOBS=2 on two
# cores. A run whose evaluation JSON exists is skipped (scripts/science/jobs.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds=0
if [ "${1:-}" = --seeds ]; then seeds=${2:?--seeds needs a comma-separated list, e.g. 0,1,2}; shift 2; fi
IFS=, read -r -a seed_list <<< "$seeds"
out=${1:-out/science}
epochs=${2:-100}
lambdas=("${@:3}")
[ ${#lambdas[@]} -gt 0 ] || lambdas=(0 1 4)
data=../shared/data/ck48
threads=(); if [ -n "${THREADS:-}" ]; then threads=(--threads "$THREADS"); fi
mkdir -p "$out"
source scripts/science/jobs.sh
for lam in "${lambdas[@]}"; do
  for seed in "${seed_list[@]}"; do
    run_job "$out/lambda-$lam-seed-$seed" "$seed" --model tiny64 --lambda "$lam" --lr 0.05
  done
done
jobs_wait
rows=()
for lam in "${lambdas[@]}"; do rows+=("$lam=lambda-$lam"); done
node scripts/science/seed-summary.mjs "$out" "$seeds" λ "${rows[@]}" | tee "$out/summary.md"
