// End-to-end smoke test of the explanation features through the real VS Code UI (scripts/e2e/lib.mjs), driven the
// way a person uses it: AU heatmaps from the Explorer and the Command Palette, errors, the explanation panel with the
// built-in model, no model and a checkpoint, its sliders, reload, themes, "What the decision depends on" with the
// built-in model (a neutral class too) and with a trained checkpoint, the device setting without a GPU, and VS Code's
// activation time.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copyCk48Subset, extDir, runE2E } from './lib.mjs';

const TRAINED_CLASSES = ['happy', 'surprise', 'sad', 'anger'];

/**
 * An untrained checkpoint to select from the status bar (scores mean nothing; maps and metrics have real shapes), and
 * a tiny64 trained by the CLI for 20 epochs on five CK+48 subjects per class (research-only crops copied into the
 * workspace at test time; about 10 s), so the faithfulness section is also seen on weights that learned something:
 * after two epochs its scores were still uniform and every curve flat.
 */
function prepare(ws) {
  execFileSync(process.execPath, ['--import', 'tsx', path.join(extDir, 'scripts/vscode-host/make-demo-checkpoint.ts'),
    path.join(ws, 'models/demo.ckpt')], { cwd: extDir });
  const data = path.join(ws, 'ck48-few');
  copyCk48Subset(data, { classes: TRAINED_CLASSES, perClass: 5 });
  const run = path.join(path.dirname(ws), 'trained-run');
  execFileSync(process.execPath, [path.join(extDir, 'bin/au-lens.js'), 'train', '--data', data, '--out', run, '--epochs', '20',
    '--batch', '8', '--threads', '1', '--classes', TRAINED_CLASSES.join(','), '--cache', path.join(path.dirname(ws), 'cache')],
  { cwd: extDir, stdio: 'ignore' });
  fs.copyFileSync(path.join(run, 'best.ckpt'), path.join(ws, 'models/trained.ckpt'));
}

/** Text that must never stand for a number in the panel. */
const BAD_NUMBER = /NaN|Infinity|undefined|[-−]0\.0+(?![0-9])/;

await runE2E('explain', { prepare }, async (ui) => {
  const { page, log, step, shoot, explorerRow, menuItem, tab, contextMenu, explorerMenu, focusWorkbench, runCommand, colourTheme, imageShown } = ui;
  /** The explanation panel's page (the only webview open when it is used). */
  const panel = () => ui.webview();

  /** A number that changes whenever the overlay canvas's pixels do; reading them also proves the canvas is not tainted. */
  const canvasSignature = () => panel().locator('#overlay').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0, sq = 0;
    for (let i = 0; i < d.length; i += 4) { const v = d[i] * 3 + d[i + 1] * 5 + d[i + 2] * 7; sum += v; sq += v * v; }
    const n = d.length / 4;
    return { sum, spread: Math.sqrt(sq / n - (sum / n) ** 2) };
  });

  await step('a text file has no "Show AU Heatmaps" in its context menu', async () => {
    await contextMenu('face.jpg', { expectEntry: true, label: 'Show AU Heatmaps' }); // first wait until our menu contributions are in
    await page.keyboard.press('Escape');
    await contextMenu('notes.txt', { expectEntry: false });
    if (await menuItem('Show AU Heatmaps').count()) throw new Error('"Show AU Heatmaps" offered for notes.txt');
    if (await menuItem('Explain Expression').count()) throw new Error('"Explain Expression" offered for notes.txt');
    await page.keyboard.press('Escape');
  });

  await step('Explorer: right-click the image, "Show AU Heatmaps" opens the heatmap PNG', async () => {
    await explorerMenu('face.jpg', 'Show AU Heatmaps', { screenshot: '1-explorer-context-menu' });
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
    await explorerMenu('broken.png', 'Show AU Heatmaps');
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
    await explorerMenu('face.jpg', 'Explain Expression', { screenshot: '8-explain-context-menu' });
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

  /**
   * Checks "What the decision depends on" for numbers that read badly and shoots it in light, dark and high contrast
   * (the workbench is in Light Modern before and after).
   */
  const faithfulnessInThemes = async (shot) => {
    const card = panel().locator('#faith-card');
    await card.locator('#faith .faith-layout').waitFor({ timeout: 60_000 });
    const text = await card.innerText();
    const bad = text.match(BAD_NUMBER);
    if (bad) throw new Error(`"What the decision depends on" shows "${bad[0]}": ${text.replace(/\s+/g, ' ').slice(0, 400)}`);
    log(`  faithfulness: ${(await panel().locator('#faith .reading-small').innerText()).trim()}`);
    await card.scrollIntoViewIfNeeded();
    await focusWorkbench();
    await shoot(`${shot}-light`);
    await colourTheme('Dark Modern');
    await shoot(`${shot}-dark`);
    await colourTheme('Dark High Contrast');
    await shoot(`${shot}-high-contrast`);
    await colourTheme('Light Modern');
    return text;
  };

  /** Explains another class by its bar in "Class probabilities" (each bar is a button). */
  const explainClass = async (label) => {
    await panel().locator('#bars .bar-row', { hasText: label }).first().click();
    await panel().locator('#bars .bar-row.explained', { hasText: label }).waitFor({ timeout: 60_000 });
  };

  await step('"What the decision depends on" with the built-in model: AU drops beside attention, a control, curves; three themes', async () => {
    const text = await faithfulnessInThemes('9a-faithfulness-builtin');
    if (!/control/.test(text) || !/deletion AUC/.test(text)) throw new Error(`no control row or curves: ${text.slice(0, 300)}`);
    if (!(await panel().locator('#faith svg.curves polyline').count())) throw new Error('the curves chart has no lines');
  });

  await step('a class with no AUs (neutral, built-in model): the section says there is nothing to hide, no NaN', async () => {
    await explainClass('neutral');
    const card = panel().locator('#faith-card');
    await card.locator('#faith', { hasText: /uses no action units/ }).waitFor({ timeout: 60_000 });
    await panel().locator('#energy', { hasText: "'neutral' uses no action units" }).waitFor();
    const text = await card.innerText();
    const bad = text.match(BAD_NUMBER);
    if (bad) throw new Error(`the neutral class's section shows "${bad[0]}": ${text.replace(/\s+/g, ' ').slice(0, 400)}`);
    log(`  neutral: ${(await panel().locator('#faith .reading-small').innerText()).trim()}`);
    await card.scrollIntoViewIfNeeded();
    await focusWorkbench();
    await shoot('9b-faithfulness-neutral');
    // Back to the predicted class, so the models selected next explain what they predict.
    await panel().locator('#class-select').click();
    await panel().locator('#class-select [role="option"]', { hasText: 'Predicted class' }).first().click();
    await panel().locator('#bars .bar-row.predicted.explained').waitFor({ timeout: 60_000 });
  });

  /** Picks a model from the quick pick behind "AU Lens: <model>" in the status bar; waits until the item names it. */
  const pickModel = async (row, statusText, { screenshot } = {}) => {
    await page.locator('.statusbar-item', { hasText: 'AU Lens:' }).first().click();
    const item = page.locator('.quick-input-list .monaco-list-row', { hasText: row });
    await item.waitFor();
    if (screenshot) await shoot(screenshot);
    await item.click();
    await page.locator('.statusbar-item', { hasText: statusText }).waitFor();
  };

  await step('status bar: "No model" shows landmarks and every AU map in the panel', async () => {
    await pickModel('No model', 'no model');
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
    await pickModel('demo.ckpt', 'demo.ckpt', { screenshot: '11-select-model' });
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

  await step('status bar: a trained checkpoint; "What the decision depends on" with its classes, three themes', async () => {
    await pickModel('trained.ckpt', 'trained.ckpt');
    // The demo checkpoint's explanation stays in view until this one is done: wait for its header, then its result.
    await panel().locator('#subtitle', { hasText: 'trained.ckpt' }).waitFor({ timeout: 60_000 });
    await panel().locator('#content[aria-busy="false"]').waitFor({ timeout: 60_000 });
    const bars = panel().locator('#bars .bar-row');
    for (let i = 0; i < 100 && (await bars.count()) !== TRAINED_CLASSES.length; i++) await page.waitForTimeout(100);
    if ((await bars.count()) !== TRAINED_CLASSES.length) throw new Error(`${await bars.count()} class bars, not the trained model's ${TRAINED_CLASSES.length}`);
    await panel().locator('#reading', { hasText: 'attention lies on' }).waitFor({ timeout: 60_000 });
    log(`  reading: ${(await panel().locator('#reading').innerText()).trim()}`);
    await faithfulnessInThemes('17a-faithfulness-trained');
  });

  await step('an unreadable image: the panel and a notification say so, with their actions', async () => {
    await focusWorkbench();
    await explorerMenu('broken.png', 'Explain Expression');
    await tab('Explain: broken.png').waitFor({ timeout: 60_000 });
    await panel().locator('#error-text', { hasText: 'not an image' }).waitFor({ timeout: 60_000 });
    await panel().locator('#error-actions vscode-button', { hasText: 'Show Output' }).waitFor();
    await page.locator('.notification-toast', { hasText: 'not an image' }).waitFor();
    await page.waitForTimeout(1500); // the progress notification closes
    await shoot('18-explain-error');
  });

  /** Waits until the workspace settings file holds `text` (the Settings editor writes a change ~200 ms later). */
  const settingWritten = async (text) => {
    const file = path.join(ui.ws, '.vscode', 'settings.json');
    for (let i = 0; i < 100 && !(fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(text)); i++) await page.waitForTimeout(100);
    if (!fs.readFileSync(file, 'utf8').includes(text)) throw new Error(`${file} never got ${text}`);
  };

  await step('Settings: AU Lens › Device "webgpu" on a machine without a GPU driver: the panel says what is missing; its "Use the CPU" sets "cpu" and explains again', async () => {
    await focusWorkbench();
    await runCommand('Preferences: Open Workspace Settings');
    const settings = page.locator('.settings-editor');
    await settings.waitFor();
    await page.keyboard.type('auLens.device');
    const device = settings.locator('.setting-item-enum', { hasText: 'Where models train, evaluate and explain' }).locator('select');
    await device.waitFor();
    await device.selectOption('webgpu');
    await settingWritten('"auLens.device": "webgpu"');
    await page.waitForTimeout(1000); // the workbench hands the value to the extension host: a click at once can beat it
    await shoot('19-settings-device-webgpu');
    await explorerMenu('face.jpg', 'Explain Expression');
    await tab('Explain: face.jpg').waitFor({ timeout: 60_000 });
    await panel().locator('#error-text', { hasText: 'WebGPU found no GPU to run on' }).waitFor({ timeout: 60_000 });
    log(`  panel: ${(await panel().locator('#error-text').innerText()).trim().slice(0, 160)}…`);
    await page.waitForTimeout(1500); // the progress notification closes
    await shoot('20-explain-webgpu-without-driver');
    await panel().locator('#error-actions vscode-button', { hasText: 'Use the CPU' }).click();
    await panel().locator('#reading', { hasText: 'attention lies on' }).waitFor({ timeout: 60_000 }).catch(async (e) => {
      const shown = async (id) => (await panel().locator(id).isVisible()) ? (await panel().locator(id).innerText()).trim() : '(hidden)';
      throw new Error(`no explanation on the CPU; the panel shows error "${await shown('#error-text')}", reading "${await shown('#reading')}"`, { cause: e });
    });
    await shoot('21-explain-after-use-the-cpu');
    await settingWritten('"auLens.device": "cpu"');
    await tab('Settings').click();
    if (await device.inputValue() !== 'cpu') throw new Error(`the Settings editor shows AU Lens › Device "${await device.inputValue()}" after "Use the CPU"`);
    await shoot('22-settings-device-cpu-after-use-the-cpu');
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
});
