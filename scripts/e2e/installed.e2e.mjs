// End-to-end test of AU Lens as a user gets it: the VSIX for this platform installed into a clean extensions folder
// (AU_LENS_VSIX, default the one `npm run package` writes; packaged first when missing), loaded without
// extensionDevelopmentPath. Proves that the installed extension finds its native binaries and face-api's models
// inside the VSIX: it explains a face with the built-in model, shows the Getting Started walkthrough with its media,
// and starts a short training run (on a few CK+48 faces copied into the workspace) and cancels it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { defaultVsix } from '../vsix/vsix-contents.mjs';
import { copyCk48Subset, extDir, runE2E } from './lib.mjs';

process.env.AU_LENS_VSIX ??= defaultVsix();
if (!fs.existsSync(process.env.AU_LENS_VSIX)) {
  console.log(`[e2e installed] packaging ${path.basename(process.env.AU_LENS_VSIX)} first`);
  execFileSync(process.execPath, ['scripts/vsix/package-vsix.mjs', '--out', process.env.AU_LENS_VSIX],
    { cwd: extDir, stdio: ['ignore', 'ignore', 'inherit'] });
}

const RUN = 'installed-run';
const prepare = (ws) => copyCk48Subset(path.join(ws, 'data', 'faces'), { classes: ['happy', 'sad', 'surprise'], perClass: 10 });

await runE2E('installed', { prepare }, async (ui) => {
  const { page, log, step, shoot, tab, runCommand, answerQuickInput, notification, explorerMenu, focusWorkbench } = ui;

  await step('the window is a user\'s window, not an Extension Development Host', async () => {
    const title = await page.title();
    if (/Extension Development Host/.test(title)) throw new Error(`the window title is "${title}"`);
  });

  await step('the Extensions view lists AU Lens as installed (from the VSIX)', async () => {
    await runCommand('View: Show Extensions'); // without a gallery the view lists what is installed
    const row = page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'AU Lens' }).first();
    await row.waitFor({ timeout: 30_000 });
    await page.mouse.move(700, 500);
    await shoot('1-extensions-installed');
    log(`  extensions view: ${(await row.innerText()).replace(/\s+/g, ' ').trim().slice(0, 160)}`);
    await row.click();
    await tab('Extension: AU Lens').waitFor();
    await page.waitForTimeout(1000); // the details page renders the README
    await shoot('2-extension-details');
    await runCommand('View: Close All Editors');
    await runCommand('View: Show Explorer');
  });

  await step('Explorer: right-click face.jpg, "Explain Expression" explains it with the built-in model', async () => {
    await explorerMenu('face.jpg', 'Explain Expression');
    await tab('Explain: face.jpg').waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: 'face-api (built-in)' }).waitFor();
    const panel = ui.webview();
    await panel.locator('#reading', { hasText: 'attention lies on' }).waitFor({ timeout: 90_000 });
    await panel.locator('#thumbs .thumb').nth(8).waitFor(); // the AU map, 4 dense blocks' attention, 4 CAMs
    await page.waitForTimeout(500);
    log(`  reading: ${(await panel.locator('#reading').innerText()).trim()}`);
    await focusWorkbench();
    await shoot('3-explain-installed');
  });

  await step('the AU Lens output reports no missing native part', async () => {
    await runCommand('Output: Show Output Channels...');
    await ui.quickPickRow('AU Lens').click();
    await page.locator('.output-view .view-lines', { hasText: 'activated in' }).waitFor();
    if (await page.locator('.output-view .view-lines', { hasText: 'is not installed for' }).count()) throw new Error('the native-parts check fired');
    await shoot('4-output');
  });

  await step('Help: the Getting Started walkthrough opens with its steps and media from the VSIX', async () => {
    await runCommand('View: Hide Panel');
    await runCommand('Welcome: Open Walkthrough...');
    await answerQuickInput({ row: 'Get Started with AU Lens' });
    const steps = page.locator('.gettingStartedSlideDetails');
    await steps.locator('.getting-started-step', { hasText: 'Pick or train a model' }).waitFor();
    await steps.locator('.getting-started-step', { hasText: 'Compare checkpoints' }).waitFor();
    await steps.locator('.getting-started-step', { hasText: 'Explain an image' }).click();
    await page.locator('.gettingStartedSlideDetails .getting-started-media img').waitFor();
    await page.waitForTimeout(800);
    await shoot('5-walkthrough');
    await runCommand('View: Close All Editors');
  });

  await step('Command Palette: "AU Lens: Train Model" starts a run on the workspace faces; Cancel stops it', async () => {
    await focusWorkbench();
    await runCommand('AU Lens: Train Model');
    // Seven steps, each shown once the previous one is answered: data folder, network, λ, layers, epochs, name, start.
    // Many epochs, so that the run is still training when Cancel is clicked (40 epochs of these few faces once
    // finished in 30 s, before the click).
    const answers = [{ row: 'faces' }, {}, {}, {}, { text: '2000' }, { text: RUN }, { row: 'Start training' }];
    for (const [i, answer] of answers.entries()) {
      await page.locator('.quick-input-widget .quick-input-title', { hasText: `${i + 1}/7` }).waitFor({ timeout: 30_000 });
      await answerQuickInput(answer);
    }
    const toast = notification(`training ${RUN}`);
    await notification('epoch').waitFor({ timeout: 120_000 });
    await ui.webview().locator('#title', { hasText: RUN }).waitFor({ timeout: 30_000 }); // the live dashboard
    await page.waitForTimeout(500);
    await shoot('6-training');
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await notification('was cancelled').waitFor({ timeout: 60_000 });
    await shoot('7-training-cancelled');
    const run = JSON.parse(fs.readFileSync(path.join(ui.ws, 'runs', RUN, 'run.json'), 'utf8'));
    if (run.status !== 'cancelled') throw new Error(`run.json says ${run.status}`);
    log(`  cancelled after ${run.epochs?.done} of ${run.epochs?.total} epochs`);
  });
});
