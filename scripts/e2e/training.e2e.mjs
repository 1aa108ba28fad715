// End-to-end test of training from the editor through the real VS Code UI (scripts/e2e/lib.mjs): "AU Lens: Train
// Model" from the Command Palette through every quick pick, the progress notification and status bar item while it
// trains, the live dashboard, Cancel and Resume from the dashboard, a window reload mid-run (the run becomes
// interrupted and is resumed from the notification; the dashboard comes back), the finished run, the dashboard in
// light, dark and high contrast themes, and the data pick offering RAF-DB- and FER2013-shaped folders (a run on
// RAF-DB's official split). The data are a small CK+48 subset copied into the throwaway workspace, as class folders
// and in RAF-DB's and FER2013's layouts (research-only images: never committed; the screenshots stay on this
// machine).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { runE2E } from './lib.mjs';

const CK48 = path.resolve(process.env.CK48_DIR ?? '/work/shared/data/ck48');
const CLASSES = ['happy', 'sad', 'surprise'];
const SUBJECTS_PER_CLASS = 12;
const RUN = 'e2e-run';
const EPOCHS = 40;
const CONFIG_RUN = 'from-config';
const RAFDB_RUN = 'rafdb-run';
/** RAF-DB basic's codes (its README) and FER2013's (the Kaggle challenge) for the classes used. */
const RAF_CODES = { surprise: 1, happy: 4, sad: 5 };
const FER_CODES = { happy: 3, sad: 4, surprise: 5 };

/**
 * The same faces in RAF-DB's layout (EmoLabel/list_patition_label.txt and Image/aligned/, every third a test image)
 * and in FER2013's (fer2013.csv: 48×48 grey rows, Usage Training / PublicTest / PrivateTest).
 */
async function writeLayouts(ws, faces) {
  const raf = path.join(ws, 'data', 'rafdb');
  fs.mkdirSync(path.join(raf, 'Image', 'aligned'), { recursive: true });
  fs.mkdirSync(path.join(raf, 'EmoLabel'), { recursive: true });
  const list = [];
  const rows = [];
  for (const [i, { label, file }] of faces.entries()) {
    const name = `${i % 3 === 2 ? 'test' : 'train'}_${String(i + 1).padStart(5, '0')}`;
    fs.writeFileSync(path.join(raf, 'Image', 'aligned', `${name}_aligned.jpg`), await sharp(file).jpeg({ quality: 95 }).toBuffer());
    list.push(`${name}.jpg ${RAF_CODES[label]}`);
    const grey = await sharp(file).greyscale().resize(48, 48).raw().toBuffer();
    rows.push(`${FER_CODES[label]},${[...grey].join(' ')},${['Training', 'PublicTest', 'PrivateTest'][i % 3]}`);
  }
  fs.writeFileSync(path.join(raf, 'EmoLabel', 'list_patition_label.txt'), `${list.join('\n')}\n`);
  fs.mkdirSync(path.join(ws, 'data', 'fer2013'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'data', 'fer2013', 'fer2013.csv'), `emotion,pixels,Usage\r\n${rows.join('\r\n')}\r\n`);
}

/** One peak frame per subject, so the split by subject has subjects for train, validation and test. */
async function prepare(ws) {
  if (!fs.existsSync(CK48)) throw new Error(`${CK48} is missing: the training suite needs the CK+48 faces`);
  const faces = [];
  for (const label of CLASSES) {
    const bySubject = new Map();
    for (const file of fs.readdirSync(path.join(CK48, label)).sort()) bySubject.set(file.split('_')[0], file);
    const dir = path.join(ws, 'data', 'ck3', label);
    fs.mkdirSync(dir, { recursive: true });
    for (const file of [...bySubject.values()].slice(0, SUBJECTS_PER_CLASS)) {
      fs.copyFileSync(path.join(CK48, label, file), path.join(dir, file));
      faces.push({ label, file: path.join(CK48, label, file) });
    }
  }
  await writeLayouts(ws, faces);
  fs.writeFileSync(path.join(ws, `${CONFIG_RUN}.au-lens-run.json`), `${JSON.stringify({ data: 'data/ck3', preset: 'tiny64', lambda: 1, epochs: 2, batch: 8 }, null, 2)}\n`);
}

await runE2E('training', { prepare }, async (ui) => {
  const { page, log, step, shoot, runCommand, answerQuickInput, quickPickRow, notification, statusItem, focusWorkbench, colourTheme } = ui;
  const dashboard = () => ui.webview();
  const title = () => page.locator('.quick-input-widget .quick-input-title');
  const atStep = async (n) => page.locator('.quick-input-widget .quick-input-title', { hasText: `${n}/7` }).waitFor();
  const dashboardStatus = (status) => dashboard().locator(`#status.${status}`).waitFor({ timeout: 180_000 });

  await step('Command Palette: "AU Lens: Train Model" lists the workspace\'s data folder first', async () => {
    // The palette lists the commands known when it opens, and a development extension's arrive a moment after the
    // workbench: reopen it until ours is there.
    for (let i = 0; ; i++) {
      await page.keyboard.press('F1');
      await page.locator('.quick-input-widget input').fill('>AU Lens: Train Model');
      try {
        await quickPickRow('AU Lens: Train Model').waitFor({ timeout: 3000 });
        break;
      } catch (e) {
        if (i >= 10) throw e;
        await page.keyboard.press('Escape');
      }
    }
    await shoot('1-command-palette');
    await page.keyboard.press('Enter');
    await quickPickRow('ck3').waitFor({ timeout: 30_000 });
    await atStep(1);
    log(`  title: ${await title().innerText()}`);
    await shoot('2-pick-data-folder');
    await answerQuickInput({ row: 'ck3' });
  });

  await step('network, λ and layers keep their defaults (tiny64, λ = 4, the last stage)', async () => {
    await atStep(2);
    await quickPickRow('tiny64').waitFor();
    await shoot('3-pick-network');
    await answerQuickInput();
    await atStep(3);
    await quickPickRow('λ = 4').waitFor();
    await shoot('4-pick-lambda');
    await answerQuickInput();
    await atStep(4);
    await quickPickRow('stage3').waitFor();
    await shoot('5-pick-layers');
    await answerQuickInput();
  });

  await step(`${EPOCHS} epochs (a bad number is refused first), run name ${RUN}, start`, async () => {
    await atStep(5);
    await page.locator('.quick-input-widget input').fill('0');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-message', { hasText: 'whole number' }).waitFor();
    await shoot('6-epochs-refused');
    await answerQuickInput({ text: String(EPOCHS) });
    await atStep(6);
    await answerQuickInput({ text: RUN });
    await atStep(7);
    await quickPickRow('Start training').waitFor();
    await shoot('7-start');
    await answerQuickInput();
  });

  await step('a progress notification and a status bar item while it trains', async () => {
    const toast = notification(`training ${RUN}`);
    await toast.waitFor({ timeout: 60_000 });
    await notification('epoch').waitFor({ timeout: 120_000 });
    await statusItem('AU Lens: epoch').waitFor();
    await shoot('8-progress-notification');
    log(`  status bar: ${(await statusItem('AU Lens: epoch').innerText()).trim()}`);
  });

  await step('the dashboard beside the editor draws the run live; Cancel stops it after a saved checkpoint', async () => {
    await dashboard().locator('#title', { hasText: RUN }).waitFor({ timeout: 60_000 });
    await dashboardStatus('running');
    // Wait for a finished epoch, so the validation chart has a point and last.ckpt exists.
    await dashboard().locator('#best', { hasText: 'epoch' }).waitFor({ timeout: 120_000 });
    await dashboard().locator('#chart-loss canvas').waitFor();
    await shoot('9-dashboard-running');
    await dashboard().locator('#cancel').click();
    await dashboardStatus('cancelled');
    await notification('was cancelled').waitFor({ timeout: 60_000 });
    await dashboard().locator('#resume').waitFor();
    await shoot('10-cancelled');
    const run = JSON.parse(fs.readFileSync(path.join(ui.ws, 'runs', RUN, 'run.json'), 'utf8'));
    if (run.status !== 'cancelled' || !fs.existsSync(path.join(ui.ws, 'runs', RUN, 'last.ckpt'))) throw new Error(`run.json says ${run.status}; last.ckpt ${fs.existsSync(path.join(ui.ws, 'runs', RUN, 'last.ckpt'))}`);
    log(`  cancelled after ${run.epochs.done} of ${run.epochs.total} epochs`);
  });

  await step('Resume in the dashboard continues the run; a window reload mid-run interrupts it and offers Resume', async () => {
    await dashboard().locator('#resume').click();
    await dashboardStatus('running');
    const epochNow = async () => Number((await dashboard().locator('#epoch').innerText()).split('/')[0]);
    const before = await epochNow();
    while ((await epochNow()) <= before + 1) await page.waitForTimeout(100);
    await focusWorkbench();
    await runCommand('Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor();
    const toast = notification('was interrupted');
    await toast.waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    await shoot('11-interrupted-after-reload');
    await toast.locator('.monaco-button', { hasText: 'Resume' }).click();
  });

  await step('the dashboard came back with the window (serializer) and follows the resumed run to the end', async () => {
    await dashboardStatus('completed');
    await notification(`${RUN} finished ${EPOCHS} epochs`).waitFor({ timeout: 60_000 });
    const run = JSON.parse(fs.readFileSync(path.join(ui.ws, 'runs', RUN, 'run.json'), 'utf8'));
    if (run.status !== 'completed' || run.epochs.done !== EPOCHS) throw new Error(`run.json: ${run.status}, ${run.epochs.done} epochs`);
    await page.waitForTimeout(500);
    await shoot('12-finished-light');
  });

  await step('the dashboard is readable in dark and high contrast themes', async () => {
    // This workbench starts in Light Modern.
    await focusWorkbench();
    await colourTheme('Dark Modern');
    await dashboard().locator('#chart-val canvas').waitFor();
    await shoot('13-dashboard-dark');
    await colourTheme('Dark High Contrast');
    await dashboard().locator('#chart-val canvas').waitFor();
    await shoot('14-dashboard-high-contrast');
    await colourTheme('Light Modern');
  });

  await step('the data pick offers a RAF-DB- and a FER2013-shaped folder; a run on RAF-DB keeps its official split', async () => {
    await focusWorkbench();
    await runCommand('AU Lens: Train Model');
    await quickPickRow('rafdb').waitFor({ timeout: 30_000 });
    await quickPickRow('FER2013, 48×48 rows').waitFor();
    await atStep(1);
    await shoot('15-pick-rafdb-fer2013');
    await answerQuickInput({ row: 'rafdb' });
    for (const n of [2, 3, 4]) {
      await atStep(n);
      await answerQuickInput();
    }
    await atStep(5);
    await answerQuickInput({ text: '1' });
    await atStep(6);
    await answerQuickInput({ text: RAFDB_RUN });
    await atStep(7);
    await answerQuickInput();
    await notification(`${RAFDB_RUN} finished 1 epoch`).waitFor({ timeout: 180_000 });
    const manifest = JSON.parse(fs.readFileSync(path.join(ui.ws, 'runs', RAFDB_RUN, 'manifest.json'), 'utf8'));
    if (manifest.layout !== 'rafdb-aligned' || manifest.splitMode !== 'official') throw new Error(`manifest: ${manifest.layout}, ${manifest.splitMode}`);
    const leaked = manifest.samples.filter((s) => (s.split === 'test') !== s.relPath.includes('/test_'));
    if (leaked.length > 0) throw new Error(`the test split is not RAF-DB's test part: ${leaked.map((s) => s.relPath).join(', ')}`);
    log(`  ${manifest.samples.length} images read as ${manifest.layout}; test = the ${manifest.counts.splits.test.images} official test images`);
    await shoot('16-rafdb-run-finished');
  });

  await step('Explorer: right-click a run-config file → "Train Model" trains the run it describes', async () => {
    await focusWorkbench();
    await ui.explorerMenu(`${CONFIG_RUN}.au-lens-run.json`, 'Train Model', { screenshot: '17-config-context-menu' });
    await notification(`${CONFIG_RUN} finished 2 epochs`).waitFor({ timeout: 120_000 });
    await dashboard().locator('#title', { hasText: CONFIG_RUN }).waitFor();
    await dashboardStatus('completed');
    await shoot('18-config-run-finished');
  });
});
