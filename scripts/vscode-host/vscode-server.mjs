// Shared by the integration runner and the end-to-end smoke test: starts the VS Code server that ships inside the npm
// package code-server (installed by scripts/vscode-host/setup-vscode-host.sh) on 127.0.0.1 only, and prepares a
// throwaway copy of the fixture workspace. Recipe: ../shared/docs/vscode-test-host.md, section 3.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

export const extDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const hostDir = path.resolve(process.env.VSCODE_HOST_DIR ?? path.join(extDir, 'test/vscode-host'));

/** Debian Chromium. Root needs --no-sandbox; the rest keeps it from reaching for the network. */
export const CHROMIUM = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
};

/** The MIT-licensed face photo from face-api's demo folder; copied at test time so no photo sits in the repo. */
export const FACE_IMAGE = path.join(extDir, 'node_modules/@vladmandic/face-api/demo/sample2.jpg');

/**
 * Copies test/fixtures/workspace (or $TEST_WORKSPACE) into tmp/workspace, adds the face photo and returns the
 * workspace path. Tests may write to it. (No user settings: a settings.json in --user-data-dir or the server's
 * Machine folder was tried and not applied by this web workbench; the server flags and skipWelcome do the job.)
 */
export function prepareWorkspace(tmp) {
  const src = path.resolve(process.env.TEST_WORKSPACE ?? path.join(extDir, 'test/fixtures/workspace'));
  const ws = path.join(tmp, 'workspace');
  fs.cpSync(src, ws, { recursive: true });
  fs.copyFileSync(FACE_IMAGE, path.join(ws, 'face.jpg'));
  return ws;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Whether a process group still has a live (not zombie) member; read from /proc (Linux). */
function groupAlive(pgid) {
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    try { stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; } // exited meanwhile
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) ": state ppid pgrp
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

function serverMain() {
  const main = path.join(hostDir, 'node_modules/code-server/lib/vscode/out/server-main.js');
  if (!fs.existsSync(main)) {
    throw new Error(`${main} is missing: run "bash scripts/vscode-host/setup-vscode-host.sh" first`);
  }
  return main;
}

/**
 * Starts VS Code's own server-main.js. --enable-smoke-test-driver makes built products honour the URL payload
 * (extensionDevelopmentPath, extensionTestsPath). Resolves once the port is known; stop() resolves when the server
 * and every process it started are gone.
 */
export async function startServer({ tmp, smokeTestDriver = true }) {
  // The smoke-test driver is only needed for the URL payload's development paths; it also makes the workbench refuse
  // modal dialogs ("refused to show dialog in tests"), so a user's window (an installed VSIX) runs without it.
  const args = [serverMain(), '--host', '127.0.0.1', '--port', '0', '--without-connection-token',
    '--accept-server-license-terms', ...(smokeTestDriver ? ['--enable-smoke-test-driver'] : []), '--server-data-dir', path.join(tmp, 'server-data'),
    '--user-data-dir', path.join(tmp, 'user-data'), '--extensions-dir', path.join(tmp, 'extensions'),
    '--disable-telemetry', '--disable-workspace-trust'];
  const env = { ...process.env, EXTENSIONS_GALLERY: '{}', // no marketplace or open-vsx lookups
    XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_DATA_HOME: path.join(tmp, 'xdg-data') };
  const child = spawn(process.env.VSCODE_HOST_NODE ?? process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'],
    detached: true }); // its own process group, so that stop() also reaches the extension host it forks
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const onData = (d) => {
      log += d;
      const m = /Extension host agent listening on (\d+)/.exec(log);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (c) => reject(new Error(`VS Code server exited early (${c}):\n${log}`)));
  });
  // Stopping only the server once left its extension host running (reparented to init): signal the whole group,
  // and wait until no live process is left in it. Should the runner die, the group goes with it.
  const signal = (sig) => { try { process.kill(-child.pid, sig); } catch { /* the group is gone */ } };
  process.once('exit', () => signal('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => process.exit(130));
  const stop = async () => { // SIGTERM, then SIGKILL after 5 s
    signal('SIGTERM');
    for (let i = 0; i < 50 && groupAlive(child.pid); i++) await sleep(100);
    if (!groupAlive(child.pid)) return;
    signal('SIGKILL');
    for (let i = 0; i < 20 && groupAlive(child.pid); i++) await sleep(100);
  };
  return { host: `127.0.0.1:${port}`, getLog: () => log, stop };
}

/**
 * Installs a VSIX the way a user does (`--install-extension`, here through the server's own CLI) into the clean
 * extensions folder of `tmp` that startServer({ tmp }) then uses. Returns what the installer printed.
 */
export function installVsix({ tmp, vsix }) {
  const file = path.resolve(vsix);
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: run "npm run package" first`);
  return execFileSync(process.env.VSCODE_HOST_NODE ?? process.execPath, [serverMain(), '--accept-server-license-terms',
    '--server-data-dir', path.join(tmp, 'server-data'), '--user-data-dir', path.join(tmp, 'user-data'),
    '--extensions-dir', path.join(tmp, 'extensions'), '--install-extension', file], { encoding: 'utf8',
    env: { ...process.env, EXTENSIONS_GALLERY: '{}' } }).trim();
}

/**
 * The workbench URL for a folder. By default it loads this repository as the extension under development; with
 * `development: false` it loads only what is installed (a VSIX put there by installVsix), as a user's window does.
 */
export function workbenchUrl(host, folder, extra = [], { development = true } = {}) {
  // vscode-remote://host/<raw absolute path>: percent-encoding the path breaks it (VS Code parses it with URI.parse)
  const remote = (p) => `vscode-remote://${host}${p}`;
  const payload = [...(development ? [['extensionDevelopmentPath', remote(extDir)]] : []), ['skipWelcome', 'true'],
    ...extra.map(([k, p]) => [k, remote(p)])];
  return `http://${host}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
