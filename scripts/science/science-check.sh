#!/usr/bin/env bash
# The README's science check: on CK+48 (6 classes, split by subject), train the CE-only baseline (λ = 0) and
# AU-guided models with the same seed, preset and epochs, then evaluate each selected model on the held-out
# test subjects. Usage: bash scripts/science/science-check.sh [OUT_DIR] [EPOCHS] [LAMBDAS...]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-out/science}
epochs=${2:-100}
lambdas=("${@:3}")
[ ${#lambdas[@]} -gt 0 ] || lambdas=(0 1 4)
data=../shared/data/ck48
mkdir -p "$out"
for lam in "${lambdas[@]}"; do
  run="$out/lambda-$lam"
  rm -rf "$run"
  start=$(date +%s)
  node bin/au-lens.js train --data "$data" --out "$run" --model tiny64 --epochs "$epochs" --lambda "$lam" --lr 0.05 --seed 0 > "$run.train.log" 2>&1
  echo "λ=$lam: trained in $(( $(date +%s) - start )) s" | tee -a "$out/times.txt"
  node bin/au-lens.js eval --checkpoint "$run/best.ckpt" --data "$data" --split test --json "$run.eval.json" > "$run.eval.txt" 2>&1
done
node -e '
const fs = require("fs");
const out = process.argv[1];
const rows = process.argv.slice(2).map((lam) => {
  const r = JSON.parse(fs.readFileSync(`${out}/lambda-${lam}.eval.json`, "utf8")).report;
  const att = r.attCos.byKey[r.camLayer].average;
  const cam = Object.fromEntries(r.methods.map((m) => [m, r.camCos.byKey[m].average]));
  return `| ${lam} | ${(100 * r.accuracy).toFixed(1)} | ${(100 * r.balancedAccuracy).toFixed(1)} | ${att.toFixed(3)} | ${r.methods.map((m) => cam[m].toFixed(3)).join(" | ")} |`;
});
console.log("| λ | accuracy % | balanced % | ATT-COS (" + "last stage) | CAM | Grad-CAM | Grad-CAM++ | LayerCAM |");
console.log("|---|---|---|---|---|---|---|---|");
console.log(rows.join("\n"));
' "$out" "${lambdas[@]}" | tee "$out/summary.md"
