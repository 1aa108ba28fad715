// End-to-end test of "AU Lens: Compare Models…" through the real VS Code UI (scripts/e2e/lib.mjs): two untrained
// tiny64 checkpoints (different seeds) and a few CK+48 face crops in the workspace; the command from the Command
// Palette in image mode (checkpoint vs checkpoint) and dataset mode (checkpoint vs the built-in face-api model), a
// flipped image explained, the map dropdown, reload, and the light, dark and high-contrast themes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { extDir, runE2E } from './lib.mjs';

const CK48 = '/work/shared/data/ck48';
const CLASSES = ['happy', 'surprise', 'sad', 'anger'];
const PER_CLASS = 4;

/** Two checkpoints to compare, and a small dataset copied from CK+48 (research-only: never committed). */
function prepare(ws) {
  for (const [name, seed] of [['baseline', '1'], ['candidate', '2']]) {
    execFileSync(process.execPath, ['--import', 'tsx', path.join(extDir, 'scripts/vscode-host/make-demo-checkpoint.ts'),
      path.join(ws, `models/${name}.ckpt`), seed], { cwd: extDir });
  }
  for (const cls of CLASSES) {
    const files = fs.readdirSync(path.join(CK48, cls)).filter((f) => f.endsWith('.png')).sort().slice(0, PER_CLASS);
    fs.mkdirSync(path.join(ws, 'ck48-few', cls), { recursive: true });
    for (const f of files) fs.copyFileSync(path.join(CK48, cls, f), path.join(ws, 'ck48-few', cls, f));
  }
}

await runE2E('compare', { prepare }, async (ui) => {
  const { page, log, step, shoot, explorerRow, tab, focusWorkbench, runCommand, answerQuickInput, colourTheme } = ui;
  const panel = () => ui.webview();
  /** The comparison panel is the first webview once the explanation panel opens beside it. */
  const comparePage = () => ui.webview(0);

  /** Whether a canvas of the page has any non-blank pixels spread (a drawn face and map, not a flat fill). */
  /**
   * Answers the quick pick whose placeholder or title starts with `prompt`: waiting for it first, since the Command
   * Palette's own input is still on screen for a moment after the command starts.
   */
  const answer = async (prompt, options) => {
    await page.locator(`.quick-input-widget input[placeholder^="${prompt}"], .quick-input-widget .quick-input-title:text-is("${prompt}")`).first().waitFor();
    await answerQuickInput(options);
  };

  /** Scrolls the panel so that `selector` is at the top (scrollIntoViewIfNeeded leaves a half-visible card alone). */
  const scrollTo = (selector) => panel().locator(selector).evaluate((e) => e.scrollIntoView({ block: 'start' }));

  const canvasSpread = (id) => panel().locator(`#${id}`).evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0, sq = 0;
    for (let i = 0; i < d.length; i += 4) { const v = d[i] + d[i + 1] + d[i + 2]; sum += v; sq += v * v; }
    const n = d.length / 4;
    return Math.sqrt(sq / n - (sum / n) ** 2);
  });

  await step('the Command Palette offers "AU Lens: Compare Models…" once the extension\'s contributions are in', async () => {
    for (let i = 0; ; i++) {
      await page.keyboard.press('F1');
      await page.locator('.quick-input-widget input').fill('>AU Lens: Compare Models');
      const found = await ui.quickPickRow('AU Lens: Compare Models…').waitFor({ timeout: 3000 }).then(() => true, () => false);
      await page.keyboard.press('Escape');
      if (found) break;
      if (i >= 20) throw new Error('"AU Lens: Compare Models…" never showed in the Command Palette');
    }
  });

  await step('Command Palette: "AU Lens: Compare Models…" on the open image, A and B from quick picks', async () => {
    await explorerRow('face.jpg').click();
    await tab('face.jpg').waitFor();
    await runCommand('AU Lens: Compare Models…', { screenshot: '1-command-palette' });
    await answer('Model A', { row: 'baseline.ckpt', screenshot: '2-pick-model-a' });
    await answer('Model B', { row: 'candidate.ckpt', screenshot: '3-pick-model-b' });
    await answer('Compare the two models on', { row: 'This image', screenshot: '4-pick-subject' });
    await tab('Compare: face.jpg').waitFor({ timeout: 60_000 });
    await panel().locator('#caption-diff', { hasText: 'B − A' }).waitFor({ timeout: 90_000 });
    for (let i = 0; i < 50 && (await canvasSpread('canvas-a')) < 15; i++) await page.waitForTimeout(100);
    const spread = await canvasSpread('canvas-a');
    if (spread < 15) throw new Error(`model A's canvas looks blank (spread ${spread.toFixed(1)})`);
    log(`  ${(await panel().locator('#reading').innerText()).trim()} · ${(await panel().locator('#layer-note').innerText()).trim()}`);
    await page.waitForTimeout(800); // the progress notification closes
    await focusWorkbench();
    await shoot('5-image-mode');
  });

  await step('the map dropdown switches A, B and the difference to Grad-CAM; numbers below', async () => {
    await panel().locator('#map').click();
    await panel().locator('#map [role="option"]', { hasText: /^\s*Grad-CAM\s*$/ }).first().click();
    await panel().locator('#caption-a', { hasText: 'Grad-CAM' }).waitFor();
    await panel().locator('#caption-diff', { hasText: 'B − A' }).waitFor();
    await focusWorkbench();
    await shoot('6-image-mode-gradcam');
    await scrollTo('#scores-h');
    await shoot('7-image-mode-tables');
  });

  await step('dataset mode: A = baseline.ckpt, B = the built-in model, on the CK+48 folder', async () => {
    await focusWorkbench();
    await runCommand('AU Lens: Compare Models…');
    // Typed filters and Enter, as a keyboard user picks.
    await answer('Model A', { text: 'baseline' });
    await answer('Model B', { text: 'face-api', screenshot: '8-pick-builtin-b' });
    await answer('Compare the two models on', { text: 'dataset' });
    await answer('Both models are evaluated', { text: 'ck48', screenshot: '9-pick-dataset' });
    await tab('Compare: ck48-few').waitFor({ timeout: 60_000 });
    await panel().locator('#reading', { hasText: 'McNemar p' }).waitFor({ timeout: 180_000 });
    await panel().locator('#att-table td.pos, #att-table td.neg').first().waitFor();
    log(`  ${(await panel().locator('#reading').innerText()).trim()}; ${await panel().locator('#flips li').count()} flipped images listed`);
    await page.waitForTimeout(800);
    await focusWorkbench();
    await shoot('10-dataset-mode');
    await scrollTo('#att-h');
    await shoot('11-dataset-att-cos');
    await scrollTo('#flips-h');
    await shoot('12-dataset-flips');
  });

  await step('a flipped image: "Explain with B" (keyboard) opens the explanation panel with the built-in model', async () => {
    const button = panel().locator('#flips li vscode-button', { hasText: 'Explain with B' }).first();
    await button.focus();
    await page.keyboard.press('Enter');
    await tab('Explain:').first().waitFor({ timeout: 60_000 });
    await ui.webview().locator('#reading', { hasText: 'attention lies on' }).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    await focusWorkbench();
    await shoot('13-flip-explained');
    await tab('Compare: ck48-few').click();
    await comparePage().locator('#reading', { hasText: 'McNemar p' }).waitFor({ timeout: 60_000 });
    await runCommand('View: Close Editors in Other Groups');
  });

  await step('Developer: Reload Window brings the comparison back (WebviewPanelSerializer)', async () => {
    await focusWorkbench();
    // A mark on the old page tells it from the reloaded one, so no check passes on the page before the reload.
    await page.evaluate(() => { globalThis.auLensBeforeReload = true; });
    await runCommand('Developer: Reload Window');
    await page.waitForFunction(() => !globalThis.auLensBeforeReload, null, { timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor();
    await tab('Compare: ck48-few').waitFor({ timeout: 60_000 });
    await panel().locator('#reading', { hasText: 'McNemar p' }).waitFor({ timeout: 180_000 });
  });

  await step('the panel follows the colour theme (dark, high contrast)', async () => {
    await scrollTo('#att-h');
    await colourTheme('Dark Modern');
    await shoot('14-dataset-dark');
    await colourTheme('Dark High Contrast');
    await shoot('15-dataset-high-contrast');
    await colourTheme('Dark Modern');
    await focusWorkbench();
    await runCommand('AU Lens: Compare Models…');
    await answer('Model A', { row: 'baseline.ckpt' });
    await answer('Model B', { row: 'candidate.ckpt' });
    await answer('Compare the two models on', { row: 'An image' });
    // The open dialog of the web workbench is a quick input too: pick the file, then OK if it is still open.
    await answer('AU Lens: image to compare on', { row: 'face.jpg' });
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 3000 })
      .catch(() => page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).click());
    await tab('Compare: face.jpg').waitFor({ timeout: 60_000 });
    await panel().locator('#caption-diff', { hasText: 'B − A' }).waitFor({ timeout: 90_000 });
    await page.waitForTimeout(800);
    await focusWorkbench();
    await shoot('16-image-mode-dark');
    await colourTheme('Light Modern');
  });
});
