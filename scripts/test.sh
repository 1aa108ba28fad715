#!/usr/bin/env bash
# The one test command: installs what is missing, builds, type-checks and lints, then runs every test suite:
# unit tests (mocha), WebGPU tests on SwiftShader, integration tests in a real VS Code extension host, sweeps through a
# real single-node Slurm cluster (scripts/slurm/cluster.sh; skipped without root), and an end-to-end smoke test through
# the real VS Code UI (integration and e2e on the VS Code server from the npm package code-server;
# scripts/vscode-host/setup-vscode-host.sh). Every suite runs even when an earlier one failed. The last line sums them
# all up as `N passed, N failed`, and the exit status is non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent typecheck
npm run --silent lint
bash scripts/vscode-host/setup-vscode-host.sh
# The slurm suite starts its own single-node cluster; without root or the packages it is skipped, saying why.
bash scripts/slurm/cluster.sh install || echo "slurm: Debian's Slurm packages are missing; the slurm suite will skip"

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
passed=0 failed=0

# Runs one suite and adds its counts: from its closing `N passed, N failed` line, else from mocha's
# `N passing` / `N failing`. A suite that exits non-zero without a failing test (a crash) counts as one failure.
suite() {
  local name="$1"; shift
  echo "== $name"
  local rc=0
  "$@" 2>&1 | tee "$logs/$name.log" || rc=$?
  local p f line
  line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logs/$name.log" | tail -n 1 || true)"
  if [ -n "$line" ]; then
    p="${line%% passed*}"; f="${line#*, }"; f="${f%% failed}"
  else
    p="$(grep -Eo '^ *[0-9]+ passing' "$logs/$name.log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)"
    f="$(grep -Eo '^ *[0-9]+ failing' "$logs/$name.log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)"
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)) failed=$((failed + f))
  echo "== $name: $p passed, $f failed"
}

suite unit npm run --silent test:unit
# WebGPU on SwiftShader (chromium's CPU Vulkan driver, installed above): placement, max-pool ties, the state kept in
# GPU memory, and tiny64/resnet18 training steps against the CPU. A few minutes; each test skips, saying why,
# where chromium's SwiftShader is missing.
suite webgpu npx mocha --no-config -r tsx/cjs --timeout 900000 'test/webgpu/**/*.test.ts'
suite integration node scripts/vscode-host/run-vscode-tests.mjs
suite slurm npm run --silent test:slurm   # sweeps through a real single-node Slurm cluster and locally (~1.5 min)
suite vsix node scripts/vsix/check-vsix.mjs   # before e2e: its VSIX is the one the 'installed' e2e suite installs
suite e2e bash scripts/e2e/run.sh

echo "== all suites (unit, WebGPU, integration in the VS Code extension host, slurm, the VSIX, end-to-end):"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
