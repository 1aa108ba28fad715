#!/usr/bin/env bash
# The README's science check: on CK+48 (6 classes, split by subject), train the CE-only baseline (λ = 0) and
# AU-guided models with the same seed, preset and epochs, then evaluate each selected model on the held-out
# test subjects. With --seeds, every λ runs once per seed (the seed draws the subject split, the initial weights
# and the augmentation) and the table gives mean ± sd over the seeds.
# Usage: bash scripts/science/science-check.sh [--seeds 0,1,2] [OUT_DIR] [EPOCHS] [LAMBDAS...]
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
mkdir -p "$out"
for lam in "${lambdas[@]}"; do
  for seed in "${seed_list[@]}"; do
    run="$out/lambda-$lam-seed-$seed"
    rm -rf "$run"
    start=$(date +%s)
    node bin/au-lens.js train --data "$data" --out "$run" --model tiny64 --epochs "$epochs" --lambda "$lam" --lr 0.05 --seed "$seed" > "$run.train.log" 2>&1
    echo "λ=$lam seed $seed: trained in $(( $(date +%s) - start )) s" | tee -a "$out/times.txt"
    node bin/au-lens.js eval --checkpoint "$run/best.ckpt" --data "$data" --split test --json "$run.eval.json" > "$run.eval.txt" 2>&1
  done
done
node -e '
const fs = require("fs");
const [out, seeds, ...lambdas] = process.argv.slice(1);
const stat = (xs, scale, digits) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return (scale * m).toFixed(digits);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return `${(scale * m).toFixed(digits)} ± ${(scale * sd).toFixed(digits)}`;
};
const rows = lambdas.map((lam) => {
  const reports = seeds.split(",").map((s) => JSON.parse(fs.readFileSync(`${out}/lambda-${lam}-seed-${s}.eval.json`, "utf8")).report);
  const methods = reports[0].methods;
  const cells = [
    stat(reports.map((r) => r.accuracy), 100, 1), stat(reports.map((r) => r.balancedAccuracy), 100, 1),
    stat(reports.map((r) => r.attCos.byKey[r.camLayer].average), 1, 3),
    ...methods.map((m) => stat(reports.map((r) => r.camCos.byKey[m].average), 1, 3)),
  ];
  return `| ${lam} | ${cells.join(" | ")} |`;
});
const n = seeds.split(",").length;
if (n > 1) console.log(`Mean ± sd over seeds ${seeds}:`);
console.log("| λ | accuracy % | balanced % | ATT-COS (" + "last stage) | CAM | Grad-CAM | Grad-CAM++ | LayerCAM |");
console.log("|---|---|---|---|---|---|---|---|");
console.log(rows.join("\n"));
' "$out" "$seeds" "${lambdas[@]}" | tee "$out/summary.md"
