// End-to-end smoke test through the real VS Code UI: the VS Code server from the npm package code-server, its web
// workbench in headless Debian Chromium, driven the way a person uses it. Needs `npm run build` and
// scripts/setup-vscode-host.sh. Screenshots go to $SCREENSHOT_DIR (default test-output/e2e); look at them.
// The last line printed is `N passed, N failed` (one check per step). KEEP_TMP=1 keeps the temporary folder.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, extDir, prepareWorkspace, startServer, workbenchUrl } from './vscode-server.mjs';

const t0 = Date.now();
const log = (m) => console.log(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const shots = path.resolve(process.env.SCREENSHOT_DIR ?? path.join(extDir, 'test-output/e2e'));
fs.rmSync(shots, { recursive: true, force: true });
fs.mkdirSync(shots, { recursive: true });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'au-lens-e2e-'));
let server, browser, page, passed = 0, failed = 0;

/** One step of the smoke test; the first failure stops the run, since later steps build on earlier ones. */
async function step(name, body) {
  try {
    await body();
    passed++;
    log(`✔ ${name}`);
  } catch (e) {
    failed++;
    log(`✘ ${name}`);
    throw e;
  }
}

const shoot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`) });
const explorerRow = (name) => page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
const menuItem = (label = 'Show AU Heatmaps') => page.locator('.monaco-menu .action-item', { hasText: label });
const tab = (label) => page.locator('.tabs-container .tab', { hasText: label });

/** Right-clicks an Explorer row until the menu shows; extension menu entries arrive a moment after the Explorer. */
async function contextMenu(name, { expectEntry, label }) {
  const row = explorerRow(name);
  for (let i = 0; ; i++) {
    await row.click({ button: 'right' });
    await page.locator('.monaco-menu').waitFor();
    if (!expectEntry) { await page.waitForTimeout(300); return; }
    try {
      await menuItem(label).waitFor({ timeout: 2000 });
      return;
    } catch (e) {
      if (i >= 15) throw e;
      await page.keyboard.press('Escape');
    }
  }
}

/**
 * Picks an entry ("Show AU Heatmaps" by default) from an Explorer row's context menu. The click holds the button
 * 100 ms as a hand does: with an instant press and release the menu sometimes ignored the click (seen after the
 * Command Palette had run). Should the menu still stay open, select the entry with the keyboard instead, and say so.
 */
async function showAuMapsFromExplorer(name, { screenshot, label = 'Show AU Heatmaps' } = {}) {
  await contextMenu(name, { expectEntry: true, label });
  if (screenshot) await shoot(screenshot);
  await menuItem(label).click({ delay: 100 });
  const closed = () => page.locator('.monaco-menu').waitFor({ state: 'detached', timeout: 3000 }).then(() => true, () => false);
  if (await closed()) return;
  log('  the context menu ignored the click; selecting the entry with Enter');
  await menuItem(label).hover();
  await page.keyboard.press('Enter');
  if (!(await closed())) throw new Error(`the context menu did not run "${label}"`);
}

/** The explanation panel's page (the only webview open when it is used). */
const panel = () => page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');

/** A number that changes whenever the overlay canvas's pixels do; reading them also proves the canvas is not tainted. */
const canvasSignature = () => panel().locator('#overlay').evaluate((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let sum = 0, sq = 0;
  for (let i = 0; i < d.length; i += 4) { const v = d[i] * 3 + d[i + 1] * 5 + d[i + 2] * 7; sum += v; sq += v * v; }
  const n = d.length / 4;
  return { sum, spread: Math.sqrt(sq / n - (sum / n) ** 2) };
});

/** Moves keyboard focus out of a webview (F1 does not reach the workbench from inside one) and the mouse off tooltips. */
async function focusWorkbench() {
  await page.locator('.sidebar .composite.title').first().click();
  await page.mouse.move(150, 400);
}

/** Switches the colour theme through "Preferences: Color Theme", as a user does. */
async function colourTheme(name) {
  await focusWorkbench();
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.fill('>Preferences: Color Theme');
  // Click the exact entry: Enter would run whichever command ranks first (e.g. "Browse Color Themes").
  await page.locator('.quick-input-list .monaco-list-row[aria-label^="Preferences: Color Theme"]').first().click();
  await page.locator('.quick-input-widget input[placeholder*="Color Theme" i]').waitFor();
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await page.waitForTimeout(800); // the webview gets the new theme variables
}

/** Runs a command from the Command Palette (F1), as a user would type it. */
async function runCommand(title, { screenshot } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  if (screenshot) await shoot(screenshot);
  await page.keyboard.press('Enter');
}

/** Waits until the image preview (a webview) has decoded its picture; returns its natural size. */
async function imageShown() {
  const img = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame').locator('img').first();
  await img.waitFor();
  for (let i = 0; i < 100; i++) {
    const size = await img.evaluate((e) => [e.naturalWidth, e.naturalHeight]);
    if (size[0] > 0) return size;
    await page.waitForTimeout(100);
  }
  throw new Error('the image preview never showed the PNG');
}

try {
  const ws = prepareWorkspace(tmp);
  // An untrained checkpoint to select from the status bar (scores mean nothing; maps and metrics have real shapes).
  execFileSync(process.execPath, ['--import', 'tsx', path.join(extDir, 'scripts/make-demo-checkpoint.ts'), path.join(ws, 'models/demo.ckpt')], { cwd: extDir });
  server = await startServer({ tmp });
  log(`VS Code server on ${server.host}`);
  browser = await chromium.launch(CHROMIUM);
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(workbenchUrl(server.host, ws));

  await step('the workbench opens the fixture folder', async () => {
    await page.locator('.monaco-workbench').waitFor();
    await explorerRow('face.jpg').waitFor();
  });

  await step('a text file has no "Show AU Heatmaps" in its context menu', async () => {
    await contextMenu('face.jpg', { expectEntry: true }); // first wait until our menu contributions are in
    await page.keyboard.press('Escape');
    await contextMenu('notes.txt', { expectEntry: false });
    if (await menuItem().count()) throw new Error('"Show AU Heatmaps" offered for notes.txt');
    if (await menuItem('Explain Expression').count()) throw new Error('"Explain Expression" offered for notes.txt');
    await page.keyboard.press('Escape');
  });

  await step('Explorer: right-click the image, "Show AU Heatmaps" opens the heatmap PNG', async () => {
    await showAuMapsFromExplorer('face.jpg', { screenshot: '1-explorer-context-menu' });
    await tab('face-aumaps.png').waitFor({ timeout: 60_000 });
    const [w, h] = await imageShown();
    log(`  face-aumaps.png shown at ${w}x${h}`);
    await page.waitForTimeout(500); // let the progress notification fade
    await shoot('2-heatmaps-from-explorer');
  });

  await step('Command Palette: "AU Lens: Show AU Heatmaps" on the open image', async () => {
    await runCommand('View: Close All Editors');
    await tab('face-aumaps.png').waitFor({ state: 'detached' });
    await explorerRow('face.jpg').click();
    await tab('face.jpg').waitFor();
    await imageShown();
    await runCommand('AU Lens: Show AU Heatmaps', { screenshot: '3-command-palette' });
    await tab('face-aumaps.png').waitFor({ timeout: 60_000 });
    if ((await page.locator('.editor-group-container').count()) < 2) throw new Error('the heatmaps did not open beside the image');
    await imageShown();
    await page.waitForTimeout(500);
    await shoot('4-heatmaps-from-palette');
  });

  await step('a file that is not an image: error notification, "Show Output" reveals the AU Lens channel', async () => {
    await showAuMapsFromExplorer('broken.png');
    const toast = page.locator('.notification-toast', { hasText: 'not an image' });
    await toast.waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500); // the toast fades in
    await shoot('5-error-notification');
    await toast.locator('.monaco-button', { hasText: 'Show Output' }).click();
    await page.locator('.output-view .view-lines', { hasText: 'broken.png' }).waitFor();
    await shoot('6-output-channel');
  });

  await step('the AU Lens output logs how long activate() took', async () => {
    // Only the lines in view are in the DOM: filter the channel down to the one line.
    await page.locator('.panel .viewpane-filter input').fill('activated in');
    const line = page.locator('.output-view .view-line', { hasText: 'activated in' }).first();
    await line.waitFor();
    await shoot('7-output-activation-time');
    log(`  output: ${(await line.innerText()).trim()}`);
  });

  await step('Explorer: right-click the image, "Explain Expression" explains it with the built-in face-api model', async () => {
    await runCommand('View: Hide Panel');
    await runCommand('View: Close All Editors');
    await showAuMapsFromExplorer('face.jpg', { label: 'Explain Expression', screenshot: '8-explain-context-menu' });
    await tab('Explain: face.jpg').waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: 'face-api (built-in)' }).waitFor();
    await panel().locator('#reading', { hasText: 'attention lies on' }).waitFor({ timeout: 60_000 });
    await panel().locator('#thumbs .thumb').nth(8).waitFor(); // the AU map, 4 dense blocks' attention, 4 CAMs
    await panel().locator('#bars .bar-row').nth(6).waitFor(); // face-api's 7 classes
    await page.waitForTimeout(500);
    log(`  reading: ${(await panel().locator('#reading').innerText()).trim()}`);
    await focusWorkbench();
    await shoot('9-explain-builtin-model');
  });

  await step('status bar: "No model" shows landmarks and every AU map in the panel', async () => {
    await page.locator('.statusbar-item', { hasText: 'AU Lens:' }).first().click();
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'No model' });
    await row.waitFor();
    await row.click();
    await page.locator('.statusbar-item', { hasText: 'no model' }).waitFor();
    await panel().locator('#thumbs .thumb').nth(5).waitFor({ timeout: 60_000 }); // six expressions have AUs
    await panel().locator('#no-model vscode-button', { hasText: 'Select Model' }).waitFor();
    // The face is cut from the photo in the canvas: a loaded photo gives texture, a grey stand-in none.
    for (let i = 0; i < 50 && (await canvasSignature()).spread < 20; i++) await page.waitForTimeout(100);
    const { spread } = await canvasSignature();
    if (spread < 20) throw new Error(`the overlay looks blank (pixel spread ${spread.toFixed(1)})`);
    await page.waitForTimeout(500);
    await shoot('9-explain-no-model');
  });

  await step('the opacity slider (keyboard) changes the overlay', async () => {
    const slider = panel().locator('#opacity');
    const before = (await canvasSignature()).sum;
    await slider.focus();
    await slider.press('End');
    await panel().locator('#opacity-out', { hasText: '100 %' }).waitFor();
    const full = (await canvasSignature()).sum;
    await slider.press('Home');
    await panel().locator('#opacity-out', { hasText: /^0 %/ }).waitFor();
    const none = (await canvasSignature()).sum;
    if (before === full || full === none) throw new Error(`the overlay did not change: ${before} / ${full} / ${none}`);
    await slider.fill('70');
    await panel().locator('#opacity-out', { hasText: '70 %' }).waitFor();
    await focusWorkbench();
    await shoot('10-explain-opacity');
  });

  await step('status bar: select the checkpoint; the panel explains with it', async () => {
    await page.locator('.statusbar-item', { hasText: 'AU Lens:' }).first().click();
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'demo.ckpt' });
    await row.waitFor();
    await shoot('11-select-model');
    await row.click();
    await page.locator('.statusbar-item', { hasText: 'demo.ckpt' }).waitFor();
    await panel().locator('#reading', { hasText: 'attention lies on' }).waitFor({ timeout: 60_000 });
    await panel().locator('#thumbs .thumb').nth(8).waitFor(); // the AU map, 4 layers' attention, 4 CAMs
    await panel().locator('#bars .bar-row').nth(6).waitFor(); // 7 classes
    await page.waitForTimeout(500);
    log(`  reading: ${(await panel().locator('#reading').innerText()).trim()}`);
    await focusWorkbench();
    await shoot('12-explain-model');
    await panel().locator('#scores-h').scrollIntoViewIfNeeded();
    await shoot('13-explain-photo-and-scores');
    await panel().locator('#metrics-card').scrollIntoViewIfNeeded();
    await shoot('14-explain-metrics');
  });

  await step('the split slider compares two maps', async () => {
    await panel().locator('#maps-h').scrollIntoViewIfNeeded();
    const before = (await canvasSignature()).sum;
    await panel().locator('#map-b').click();
    await panel().locator('#map-b [role="option"]', { hasText: /^\s*Grad-CAM\s*$/ }).first().click();
    const split = panel().locator('#split');
    for (let i = 0; i < 50 && (await split.isDisabled()); i++) await page.waitForTimeout(100);
    await split.fill('35');
    await panel().locator('#split-out', { hasText: '35 %' }).waitFor();
    if ((await canvasSignature()).sum === before) throw new Error('the split view did not change the overlay');
    await panel().locator('#overlay-caption', { hasText: 'right: Grad-CAM' }).waitFor();
    await focusWorkbench();
    await shoot('15-explain-split');
  });

  await step('Developer: Reload Window brings the panel back, explained again (WebviewPanelSerializer)', async () => {
    await focusWorkbench();
    await runCommand('Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor();
    await tab('Explain: face.jpg').waitFor({ timeout: 60_000 });
    await panel().locator('#reading', { hasText: 'attention lies on' }).waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: 'demo.ckpt' }).waitFor();
  });

  await step('the panel follows the colour theme (dark, high contrast)', async () => {
    await panel().locator('#maps-h').scrollIntoViewIfNeeded();
    // This workbench starts in Light Modern.
    await colourTheme('Dark Modern');
    await shoot('16-explain-dark');
    await colourTheme('Dark High Contrast');
    await shoot('17-explain-high-contrast');
    await colourTheme('Light Modern');
  });

  await step('an unreadable image: the panel and a notification say so, with their actions', async () => {
    await focusWorkbench();
    await showAuMapsFromExplorer('broken.png', { label: 'Explain Expression' });
    await tab('Explain: broken.png').waitFor({ timeout: 60_000 });
    await panel().locator('#error-text', { hasText: 'not an image' }).waitFor({ timeout: 60_000 });
    await panel().locator('#error-actions vscode-button', { hasText: 'Show Output' }).waitFor();
    await page.locator('.notification-toast', { hasText: 'not an image' }).waitFor();
    await page.waitForTimeout(1500); // the progress notification closes
    await shoot('18-explain-error');
  });

  await step('Developer: Show Running Extensions lists AU Lens with the activation time VS Code measured', async () => {
    await focusWorkbench(); // the Output panel was hidden before the explanation steps
    await runCommand('View: Close All Editors');
    await runCommand('Developer: Show Running Extensions');
    const list = page.locator('.runtime-extensions-editor .monaco-list');
    await list.waitFor();
    // The list is virtual (only rows in view exist) and sorted by activation time: scroll until our row shows.
    const row = page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: /AU Lens|au-lens\.au-lens/ });
    await list.hover();
    for (let i = 0; i < 20 && !(await row.count()); i++) {
      await page.mouse.wheel(0, 200);
      await page.waitForTimeout(100);
    }
    await row.waitFor({ timeout: 5000 });
    await shoot('8-running-extensions');
    log(`  running extensions: ${(await row.innerText()).replace(/\s+/g, ' ').trim()}`);
  });
} catch (e) {
  console.error(e);
  if (!failed) failed++;
  await page?.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => {});
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
  if (failed && server) console.error(server.getLog().slice(-3000));
  log(`done; screenshots in ${shots}`);
  console.log(`${passed} passed, ${failed} failed`);
}
if (!failed && !process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
