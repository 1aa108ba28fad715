// End-to-end test of the two ways an install goes wrong, from this platform's VSIX (AU_LENS_VSIX, default the one
// `npm run package` writes; packaged first when missing): a copy without this platform's native binaries (what a VSIX
// for another platform is here) installs, and AU Lens's activation names the platform and the VSIX to install; a copy
// that asks for a newer VS Code (engines.vscode) is refused by VS Code itself.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installVsix } from '../vscode-host/vscode-server.mjs';
import { defaultVsix } from '../vsix/vsix-contents.mjs';
import { extDir, runE2E } from './lib.mjs';

const vsix = process.env.AU_LENS_VSIX ?? defaultVsix();
if (!fs.existsSync(vsix)) {
  console.log(`[e2e bad-install] packaging ${path.basename(vsix)} first`);
  execFileSync(process.execPath, ['scripts/vsix/package-vsix.mjs', '--out', vsix],
    { cwd: extDir, stdio: ['ignore', 'ignore', 'inherit'] });
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'au-lens-bad-vsix-'));
process.once('exit', () => fs.rmSync(work, { recursive: true, force: true }));

/** A copy of the VSIX edited with zip: entries deleted, or extension/package.json rewritten. */
function editedCopy(name, { drop = [], manifest } = {}) {
  const copy = path.join(work, name);
  fs.copyFileSync(vsix, copy);
  if (drop.length) execFileSync('zip', ['-q', '-d', copy, ...drop]);
  if (manifest) {
    const dir = path.join(work, `${name}-edit`);
    execFileSync('unzip', ['-q', vsix, 'extension/package.json', '-d', dir]);
    const file = path.join(dir, 'extension/package.json');
    fs.writeFileSync(file, JSON.stringify(manifest(JSON.parse(fs.readFileSync(file, 'utf8'))), null, 2));
    execFileSync('zip', ['-q', copy, 'extension/package.json'], { cwd: dir });
  }
  return copy;
}

const platform = `${process.platform}-${process.arch}`;
process.env.AU_LENS_VSIX = editedCopy(`no-${platform}-binaries.vsix`, {
  drop: ['extension/node_modules/onnxruntime-node/bin/*', `extension/node_modules/@img/sharp-${platform}/*`],
});

await runE2E('bad-install', {}, async (ui) => {
  const { page, log, step, shoot, explorerMenu } = ui;

  await step(`without the ${platform} binaries, activation says which platform and which VSIX to install`, async () => {
    await explorerMenu('face.jpg', 'Explain Expression');
    const toast = page.locator('.notification-toast', { hasText: `not installed for ${platform}` }).first();
    await toast.waitFor({ timeout: 60_000 });
    log(`  notification: ${(await toast.locator('.notification-list-item-message').innerText()).trim()}`);
    if (!(await toast.innerText()).includes(`au-lens-${platform}-`)) throw new Error('the message does not name the VSIX to install');
    // The explanation that failed says the same, not the missing module's own advice (npm commands a VSIX user cannot run).
    await ui.webview().locator('#error-text', { hasText: `not installed for ${platform}` }).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    await shoot('1-missing-binaries-error');
    await toast.locator('.monaco-button', { hasText: 'Show Output' }).click();
    // Only the lines in view are in the DOM: filter the channel down to ours.
    await page.locator('.panel .viewpane-filter input').fill('Looked for');
    await page.locator('.output-view .view-lines', { hasText: `[error] AU Lens is not installed for ${platform}` }).waitFor();
    await shoot('2-missing-binaries-output');
  });

  await step('VS Code refuses a VSIX that asks for a newer VS Code (engines.vscode)', async () => {
    const newer = editedCopy('newer-engine.vsix', { manifest: (m) => ({ ...m, engines: { ...m.engines, vscode: '^1.999.0' } }) });
    const tmp = fs.mkdtempSync(path.join(work, 'install-'));
    let said;
    try {
      said = installVsix({ tmp, vsix: newer });
    } catch (e) {
      said = `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`;
    }
    log(`  installer: ${said.split('\n').find((l) => /compatible/.test(l)) ?? said.split('\n').pop()}`);
    if (!/not compatible with VS Code/.test(said)) throw new Error(`no refusal:\n${said}`);
    const installed = fs.existsSync(path.join(tmp, 'extensions')) ? fs.readdirSync(path.join(tmp, 'extensions')) : [];
    if (installed.some((d) => d.startsWith('au-lens.'))) throw new Error(`installed anyway: ${installed.join(', ')}`);
  });
});
