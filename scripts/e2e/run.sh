#!/usr/bin/env bash
# Runs the end-to-end suites (scripts/e2e/*.e2e.mjs, or the names given: `run.sh explain training`) one after the
# other, each on its own VS Code server, and sums their closing `N passed, N failed` lines into one. Every suite runs
# even when an earlier one failed. Needs `npm run build` and scripts/vscode-host/setup-vscode-host.sh.
set -uo pipefail
cd "$(dirname "$0")"
if [ "$#" -gt 0 ]; then suites=("${@/%/.e2e.mjs}"); else suites=(*.e2e.mjs); fi
passed=0 failed=0
for s in "${suites[@]}"; do
  echo "-- e2e suite ${s%.e2e.mjs}"
  out="$(mktemp)"
  node "$s" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)"
  rm -f "$out"
  p=0 f=0
  if [ -n "$line" ]; then p="${line%% passed*}"; f="${line#*, }"; f="${f%% failed}"; fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)) failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
