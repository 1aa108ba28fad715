// End-to-end test of the Runs view, "Evaluate Model" and the quality gates through the real VS Code UI
// (scripts/e2e/lib.mjs): a tiny64 run trained for one epoch by the CLI on a few CK+48 face crops (research-only data,
// copied at test time), a run.json as the editor writes it, a strict ATT-COS gate and the fast faithfulness metrics
// in the workspace settings. The
// AU Lens view in the activity bar, Evaluate from the checkpoint's context menu, the results panel, the gate in the
// Problems view, its quick fix to the failing images, a worst image explained (with what its decision depends on), a
// window reload, and the dark, light and high-contrast themes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { extDir, runE2E } from './lib.mjs';

const CK48 = '/work/shared/data/ck48';
const CLASSES = ['happy', 'surprise', 'sad', 'anger'];
const PER_CLASS = 6;

function prepare(ws) {
  const data = path.join(ws, 'ck48-few');
  for (const cls of CLASSES) {
    const files = fs.readdirSync(path.join(CK48, cls)).filter((f) => f.endsWith('.png')).sort().slice(0, PER_CLASS);
    fs.mkdirSync(path.join(data, cls), { recursive: true });
    for (const f of files) fs.copyFileSync(path.join(CK48, cls, f), path.join(data, cls, f));
  }
  const out = path.join(ws, 'runs', 'tiny64-demo');
  execFileSync(process.execPath, [path.join(extDir, 'bin/au-lens.js'), 'train', '--data', data, '--out', out, '--epochs', '1', '--batch', '8', '--threads', '1',
    '--classes', CLASSES.join(','), '--cache', path.join(ws, '.cache')], { cwd: extDir, stdio: 'ignore' });
  const now = new Date().toISOString();
  fs.writeFileSync(path.join(out, 'run.json'), JSON.stringify({
    version: 1, name: 'tiny64-demo', status: 'completed', settings: { data, out, preset: 'tiny64', epochs: 1 }, pid: 1,
    startedAt: now, updatedAt: now, endedAt: now, epochs: { done: 1, total: 1 },
  }, null, 2));
  fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'auLens.qualityGates.minAttCos': 0.9,
    'auLens.evaluation.faithfulness': 'fast' }, null, 2));
}

await runE2E('runs', { prepare }, async (ui) => {
  const { page, step, shoot, tab, quickPickRow, focusWorkbench, colourTheme, log } = ui;
  const treeRow = (text) => page.locator('.pane-body .monaco-list-row', { hasText: text }).first();
  const evaluation = () => ui.webview();

  await step('the AU Lens view in the activity bar lists the run, its checkpoints and metrics', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="AU Lens"]').first().click();
    await treeRow('tiny64-demo').waitFor({ timeout: 30_000 });
    await treeRow('best.ckpt').waitFor();
    await treeRow('best.ckpt').click();
    await page.keyboard.press('ArrowRight'); // expand the checkpoint with the keyboard
    await treeRow('validation accuracy').waitFor();
    await shoot('1-runs-view');
  });

  await step('Evaluate Model from the checkpoint\'s context menu, on every image of the CK+48 folder', async () => {
    await treeRow('best.ckpt').click({ button: 'right' });
    await page.locator('.monaco-menu .action-item', { hasText: 'Evaluate Model' }).first().waitFor();
    await shoot('2-context-menu');
    await page.locator('.monaco-menu .action-item', { hasText: 'Evaluate Model' }).first().click({ delay: 100 });
    await quickPickRow('every image of the folder').waitFor();
    await shoot('3-pick-dataset');
    await quickPickRow('every image of the folder').click();
    await tab('Evaluation: best.ckpt on ck48-few').waitFor({ timeout: 300_000 });
    await evaluation().locator('#content:not([hidden])').waitFor({ timeout: 60_000 });
    await evaluation().locator('#att-matrix td.heat').first().waitFor();
    await page.waitForTimeout(800);
    await focusWorkbench();
    await shoot('4-results-panel');
    await evaluation().locator('#conf-h').scrollIntoViewIfNeeded();
    await shoot('5-results-confusion');
    await evaluation().locator('#worst-h').scrollIntoViewIfNeeded();
    await evaluation().locator('#worst img').first().evaluate((img) => new Promise((resolve) => (img.complete ? resolve() : img.addEventListener('load', resolve))));
    await shoot('6-results-worst-images');
    await evaluation().locator('#faithfulness-card:not([hidden]) #faithfulness table').first().waitFor();
    await evaluation().locator('#faith-h').scrollIntoViewIfNeeded();
    await shoot('6b-results-faithfulness');
  });

  await step('the Problems view shows the ATT-COS gate on the eval file', async () => {
    await focusWorkbench();
    await page.keyboard.press('Control+Shift+M');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'auLens.qualityGates.minAttCos' }).first();
    await problem.waitFor({ timeout: 30_000 });
    log(`  ${(await problem.innerText()).split('\n').join(' ')}`);
    await shoot('7-problems-view');
    await problem.click();
    await tab('eval-ck48-few.json').waitFor();
    await page.waitForTimeout(500);
    await shoot('8-eval-json-at-the-failing-line');
  });

  await step('the quick fix opens the failing images; the one picked is explained with the evaluated model', async () => {
    await page.keyboard.press('Control+.');
    const fix = page.getByText(/^Open the failing images \(/).first();
    await fix.waitFor();
    await shoot('9-quick-fix');
    await fix.click();
    await page.locator('.quick-input-widget', { hasText: 'worst first' }).waitFor();
    await shoot('10-failing-images');
    await page.keyboard.press('Enter');
    await tab('Explain:').waitFor({ timeout: 60_000 });
    await ui.webview().locator('#content:not([hidden])').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1000);
    await focusWorkbench();
    await shoot('11-explained-failing-image');
  });

  await step('a worst image in the results panel opens its explanation (keyboard: focus, Enter)', async () => {
    await tab('Evaluation: best.ckpt on ck48-few').click();
    await focusWorkbench();
    await page.keyboard.press('Control+J'); // hide the panel area: more room for the results
    const results = ui.webview(0); // the results panel was made before the explanation panel
    const thumb = results.locator('#worst button.thumb').first(); // an anger face: the quick fix explained a happy one
    await thumb.waitFor();
    const name = (await thumb.locator('.thumb-name').innerText()).trim();
    await thumb.focus();
    await page.keyboard.press('Enter');
    await tab(`Explain: ${name}`).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1500);
    await focusWorkbench();
    await shoot('12-worst-image-explained');
    const explanation = ui.webview();
    await explanation.locator('#faith-card:not([hidden]) svg.curves').waitFor();
    await colourTheme('Dark Modern');
    await explanation.locator('#faith-h').scrollIntoViewIfNeeded();
    await focusWorkbench();
    await shoot('12b-explain-faithfulness-dark');
    await explanation.locator('#faith-card svg.curves').scrollIntoViewIfNeeded();
    await focusWorkbench();
    await shoot('12c-explain-curves-dark');
    await colourTheme('Light Modern');
    await focusWorkbench();
    await page.waitForTimeout(2000); // two webviews repaint with the new theme's variables
    await shoot('12d-explain-curves-light');
  });

  await step('Developer: Reload Window brings the results panel back from its eval file (WebviewPanelSerializer)', async () => {
    await page.locator('.tabs-container .tab', { hasText: /^Explain:/ }).first().locator('.codicon-close').click();
    await focusWorkbench();
    await ui.runCommand('Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor();
    await tab('Evaluation: best.ckpt on ck48-few').waitFor({ timeout: 60_000 });
    await tab('Evaluation: best.ckpt on ck48-few').click();
    await evaluation().locator('#att-matrix td.heat').first().waitFor({ timeout: 60_000 });
    await focusWorkbench();
    await shoot('13-after-reload');
  });

  await step('dark and light themes', async () => {
    await tab('Evaluation: best.ckpt on ck48-few').click();
    await ui.webview().locator('#title').scrollIntoViewIfNeeded();
    await colourTheme('Dark Modern');
    await focusWorkbench();
    await shoot('14-results-dark');
    await ui.webview().locator('#faith-h').scrollIntoViewIfNeeded();
    await shoot('14b-results-faithfulness-dark');
    await ui.webview().locator('#title').scrollIntoViewIfNeeded();
    await colourTheme('Light Modern');
    await focusWorkbench();
    await shoot('15-results-light');
    await ui.webview().locator('#faith-h').scrollIntoViewIfNeeded();
    await shoot('15b-results-faithfulness-light');
    await ui.webview().locator('#title').scrollIntoViewIfNeeded();
    await colourTheme('Dark High Contrast');
    await focusWorkbench();
    await shoot('16-results-high-contrast');
  });
});
