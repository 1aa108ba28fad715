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
jobs=${JOBS:-2}
data=../shared/data/ck48
classes=happy,surprise,fear,anger,disgust,sad
mkdir -p "$out"

one() {  # λ seed
  local run="$out/lambda-$1-seed-$2" start
  [ ! -s "$run.eval.json" ] || return 0
  start=$(date +%s)
  rm -rf "$run"
  # shellcheck disable=SC2086
  node bin/au-lens.js train --data "$data" --out "$run" --model "$model" --epochs "$epochs" --lambda "$1" --lr "$lr" \
    --seed "$2" --classes "$classes" --threads 1 ${EXTRA:-} > "$run.train.log" 2>&1
  node bin/au-lens.js eval --checkpoint "$run/best.ckpt" --data "$data" --split test --threads 1 \
    --json "$run.eval.json" > "$run.eval.txt" 2>&1
  echo "λ=$1 seed=$2: $(( $(date +%s) - start )) s" >> "$out/times.txt"
}

for lam in "${lambdas[@]}"; do
  [ -z "${SUMMARY_ONLY:-}" ] || break
  for seed in "${seeds[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 5; done
    one "$lam" "$seed" &
  done
done
wait

node -e '
const fs = require("fs");
const [out, model, seeds, ...lambdas] = process.argv.slice(1);
const stat = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return { m, sd };
};
const fmt = (xs, k = 1, d = 3) => {
  const { m, sd } = stat(xs.map((x) => k * x));
  return `${m.toFixed(d)} ± ${sd.toFixed(d)}`;
};
const report = (lam, s) => JSON.parse(fs.readFileSync(`${out}/lambda-${lam}-seed-${s}.eval.json`, "utf8")).report;
let methods = [];
let extra = [];
const rows = lambdas.map((lam) => {
  const reports = seeds.split(" ").map((s) => report(lam, s));
  methods = reports[0].methods;
  // A ViT also gets its rollout, the map made to explain a transformer, beside the CAM layer.
  extra = "rollout" in reports[0].attCos.byKey ? ["rollout"] : [];
  const att = [reports[0].camLayer, ...extra].map((l) => fmt(reports.map((r) => r.attCos.byKey[l].average)));
  const cams = methods.map((m) => fmt(reports.map((r) => r.camCos.byKey[m].average)));
  const acc = [fmt(reports.map((r) => r.accuracy), 100, 1), fmt(reports.map((r) => r.balancedAccuracy), 100, 1)];
  return `| ${model} | ${lam} | ${acc.join(" | ")} | ${att.join(" | ")} | ${cams.join(" | ")} |`;
});
const camLayer = report(lambdas[0], seeds.split(" ")[0]).camLayer;
const atts = [camLayer, ...extra].map((l) => `ATT-COS ${l}`);
const head = ["model", "λ", "accuracy %", "balanced %", ...atts, ...methods.map((m) => `CAM-COS ${m}`)];
console.log(`| ${head.join(" | ")} |`);
console.log(`|${head.map(() => "---").join("|")}|`);
console.log(rows.join("\n"));
' "$out" "$model" "${seeds[*]}" "${lambdas[@]}" | tee "$out/summary.md"
