#!/usr/bin/env bash
# The one test command: installs what is missing, builds, then runs type checks, lint and every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent typecheck
npm run --silent lint
npm run --silent test:unit
