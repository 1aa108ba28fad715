// What every end-to-end test shares: the VS Code server from the npm package code-server, its web workbench in
// headless Debian Chromium, and the moves a person makes in it (Explorer context menus, the Command Palette, quick
// picks, notifications, webviews, colour themes). Each scripts/e2e/*.e2e.mjs file is one suite:
//
//   await runE2E('training', { prepare: (ws) => … }, async (ui) => { await ui.step('…', async () => { … }); });
//
// Screenshots go to $SCREENSHOT_DIR/<suite> (default test-output/e2e/<suite>); look at them. The last line printed is
// `N passed, N failed` (one check per step). KEEP_TMP=1 keeps the temporary folder. AU_LENS_VSIX=<file> runs a suite
// against that VSIX installed into a clean extensions folder (as a user installs it) instead of this repository loaded
// as the extension under development.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  CHROMIUM, extDir, installVsix, prepareWorkspace, startServer, workbenchUrl,
} from '../vscode-host/vscode-server.mjs';

export { extDir };

/**
 * Runs one suite: a throwaway workspace (test/fixtures/workspace + face.jpg, then `prepare(ws)`), the server, the
 * browser, then `body(ui)`. The first failing step stops the suite, since later steps build on earlier ones.
 */
export async function runE2E(suite, { prepare, viewport = { width: 1400, height: 900 } } = {}, body) {
  const t0 = Date.now();
  const log = (m) => console.log(`[e2e ${suite} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
  const shots = path.resolve(process.env.SCREENSHOT_DIR ?? path.join(extDir, 'test-output/e2e'), suite);
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `au-lens-e2e-${suite}-`));
  let server, browser, page, passed = 0, failed = 0;
  try {
    const ws = prepareWorkspace(tmp);
    await prepare?.(ws);
    const vsix = process.env.AU_LENS_VSIX;
    if (vsix) log(`installed ${path.basename(vsix)}: ${installVsix({ tmp, vsix }).split('\n').pop()}`);
    server = await startServer({ tmp, smokeTestDriver: !vsix });
    log(`VS Code server on ${server.host}`);
    browser = await chromium.launch(CHROMIUM);
    page = await (await browser.newContext({ viewport })).newPage();
    page.setDefaultTimeout(30_000);
    // The workbench's load event took over 30 s at load 24 on 2 cores.
    await page.goto(workbenchUrl(server.host, ws, [], { development: !vsix }), { timeout: 120_000 });
    const step = async (name, run) => {
      try {
        await run();
        passed++;
        log(`✔ ${name}`);
      } catch (e) {
        failed++;
        log(`✘ ${name}`);
        throw e;
      }
    };
    const ui = workbenchMoves(page, { log, shots, ws, tmp, step, installed: Boolean(vsix) });
    await ui.step('the workbench opens the fixture folder', async () => {
      await page.locator('.monaco-workbench').waitFor();
      await ui.explorerRow('face.jpg').waitFor();
    });
    await body(ui);
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
}

/**
 * Copies a small CK+48 subset into the workspace (research-only images, copied at test time, never committed):
 * `perClass` images of each class in `classes`, one per subject (the first frame file of each), under `dest`.
 */
export function copyCk48Subset(dest, { classes, perClass, ck48 = process.env.CK48_DIR ?? '/work/shared/data/ck48' }) {
  if (!fs.existsSync(ck48)) throw new Error(`${ck48} is missing: this suite needs the CK+48 faces`);
  for (const label of classes) {
    const firstOfSubject = new Map();
    for (const file of fs.readdirSync(path.join(ck48, label)).sort()) if (!firstOfSubject.has(file.split('_')[0])) firstOfSubject.set(file.split('_')[0], file);
    fs.mkdirSync(path.join(dest, label), { recursive: true });
    for (const file of [...firstOfSubject.values()].slice(0, perClass)) fs.copyFileSync(path.join(ck48, label, file), path.join(dest, label, file));
  }
}

/** The moves of a person in the workbench, bound to one page. */
function workbenchMoves(page, { log, shots, ws, tmp, step, installed }) {
  const shoot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`) });
  const explorerRow = (name) => page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  const menuItem = (label) => page.locator('.monaco-menu .action-item', { hasText: label });
  const tab = (label) => page.locator('.tabs-container .tab', { hasText: label });
  const quickPickRow = (text) => page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  const notification = (text) => page.locator('.notification-toast', { hasText: text });
  const statusItem = (text) => page.locator('.statusbar-item', { hasText: text }).first();
  /** The page inside a webview: the last one made ready by default, or the one whose frame `index` gives. */
  const webview = (index = -1) => {
    const frames = page.frameLocator('iframe.webview.ready');
    return (index < 0 ? frames.last() : frames.nth(index)).frameLocator('#active-frame');
  };

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
   * Picks an entry from an Explorer row's context menu. The click holds the button 100 ms as a hand does: with an
   * instant press and release the menu sometimes ignored the click (seen after the Command Palette had run). Should
   * the menu still stay open, select the entry with the keyboard instead, and say so.
   */
  async function explorerMenu(name, label, { screenshot } = {}) {
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

  /** Moves keyboard focus out of a webview (F1 does not reach the workbench from inside one) and the mouse off tooltips. */
  async function focusWorkbench() {
    await page.locator('.sidebar .composite.title').first().click();
    await page.mouse.move(150, 400);
  }

  /**
   * Runs a command from the Command Palette (F1), as a user would type it. On a loaded machine the palette
   * sometimes closes again before the text is typed (focus moved, e.g. by a notification appearing): then it is
   * opened again, from the workbench, up to three times, and the log says so.
   */
  async function runCommand(title, { screenshot } = {}) {
    const input = page.locator('.quick-input-widget input');
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('F1');
      try {
        await input.waitFor({ timeout: 15_000 });
        await input.fill(`>${title}`, { timeout: 15_000 });
        await quickPickRow(title).waitFor({ timeout: 20_000 });
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        log(`  the Command Palette closed before "${title}" could be picked (try ${attempt}); opening it again`);
        await page.keyboard.press('Escape');
        await focusWorkbench();
      }
    }
    if (screenshot) await shoot(screenshot);
    await page.keyboard.press('Enter');
  }

  /** Answers an open quick pick or input box: types `text` (if any) and accepts with Enter, or clicks `row`. */
  async function answerQuickInput({ text, row, screenshot } = {}) {
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    if (text !== undefined) await input.fill(text);
    if (row !== undefined) await quickPickRow(row).waitFor();
    if (screenshot) await shoot(screenshot);
    if (row !== undefined) await quickPickRow(row).click();
    else await page.keyboard.press('Enter');
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
    await quickPickRow(name).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    await page.waitForTimeout(800); // the webview gets the new theme variables
  }

  /** Waits until the image preview (a webview) has decoded its picture; returns its natural size. */
  async function imageShown() {
    const img = webview().locator('img').first();
    await img.waitFor();
    for (let i = 0; i < 100; i++) {
      const size = await img.evaluate((e) => [e.naturalWidth, e.naturalHeight]);
      if (size[0] > 0) return size;
      await page.waitForTimeout(100);
    }
    throw new Error('the image preview never showed the PNG');
  }

  return { page, log, shots, ws, tmp, step, installed, shoot, explorerRow, menuItem, tab, quickPickRow, notification, statusItem,
    webview, contextMenu, explorerMenu, focusWorkbench, runCommand, answerQuickInput, colourTheme, imageShown };
}
