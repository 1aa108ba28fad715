// Runs the mocha suite of test/integration inside a real VS Code Node extension host (the VS Code server from the
// npm package code-server), with the workbench loaded in headless Debian Chromium. Needs `npm run build` (the
// extension is dist/extension.js) and scripts/vscode-host/setup-vscode-host.sh. Exit code = test result; the last line
// printed is `N passed, N failed`. Knobs: VSCODE_HOST_DIR, TEST_WORKSPACE, TEST_TIMEOUT_MS, VSCODE_TEST_VERBOSE=1,
// KEEP_TMP=1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout } from 'node:timers';
import { format } from 'node:util';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { CHROMIUM, extDir, prepareWorkspace, startServer, workbenchUrl } from './vscode-server.mjs';

const t0 = Date.now();
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 420000);
const verbose = !!process.env.VSCODE_TEST_VERBOSE;
// Workbench chatter forwarded together with the extension host's console output.
const NOISE = /^(%c|\[(ChatModelSelection|AgentHost[^\]]*|AccountPolicyGate|reconnection-grace-time|Service Worker)\])|Ignoring fetching additional builtin|Creating a socket|connection token|ChatSessionStore|additional builtin extensions cache/;

/** Bundles each test/integration/*.ts on its own (CommonJS for the extension host); mocha and vscode stay external. */
async function buildTests() {
  const srcDir = path.join(extDir, 'test/integration');
  const outDir = path.join(extDir, 'out/test/integration');
  fs.rmSync(outDir, { recursive: true, force: true });
  const entryPoints = fs.readdirSync(srcDir).filter((f) => f.endsWith('.ts')).map((f) => path.join(srcDir, f));
  await esbuild.build({ entryPoints, outdir: outDir, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    // Native and model packages load their files by path at run time: resolve them from node_modules, unbundled.
    external: ['vscode', 'mocha', 'sharp', 'onnxruntime-node', '@tensorflow/*', '@vladmandic/face-api', '@vladmandic/face-api/*'],
    sourcemap: 'inline', logLevel: 'warning' });
  return path.join(outDir, 'index');
}

let server, browser, exitCode = 1, summary;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'au-lens-vscode-test-'));
try {
  const testsPath = await buildTests();
  const workspace = prepareWorkspace(tmp); // a throwaway copy: tests may write to it
  server = await startServer({ tmp });
  console.log(`[runner] VS Code server up on ${server.host} after ${Date.now() - t0} ms`);
  browser = await chromium.launch(CHROMIUM);
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  let done;
  const finished = new Promise((r) => (done = r));
  // The workbench forwards the extension host's console output here and calls codeAutomationExit when the tests end.
  await page.exposeFunction('codeAutomationLog', (_type, args) => {
    const text = format(...(args ?? []));
    const m = /^\s*(\d+ passed, \d+ failed)\s*$/m.exec(text);
    if (m) summary = m[1];
    else if (verbose || !NOISE.test(text)) console.log(text);
  });
  await page.exposeFunction('codeAutomationExit', (code) => done(code));
  if (verbose) page.on('console', (m) => console.log(`[browser ${m.type()}] ${m.text()}`));
  await page.goto(workbenchUrl(server.host, workspace, [['extensionTestsPath', testsPath]]));
  const result = await Promise.race([finished, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
  if (result === 'timeout') {
    console.error(`[runner] timed out after ${timeoutMs} ms (the tests never reported back)`);
    await page.screenshot({ path: path.join(tmp, 'timeout.png') });
  } else exitCode = result;
} catch (e) {
  console.error(e);
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
  if (exitCode === 0 && !summary) exitCode = 1; // the suite never said how it went
  if (exitCode !== 0 && server) console.error(`[runner] server log:\n${server.getLog().slice(-4000)}`);
  console.log(`[runner] exit ${exitCode} after ${Date.now() - t0} ms (tmp ${tmp})`);
  // Closing line for CI. A run that failed without a failing test (crash, timeout) still reads as a failure.
  const failedWithoutCount = exitCode !== 0 && (!summary || / 0 failed$/.test(summary));
  console.log(failedWithoutCount ? `${summary ? summary.split(' ')[0] : 0} passed, 1 failed` : summary);
}
if (exitCode === 0 && !process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
process.exit(exitCode);
