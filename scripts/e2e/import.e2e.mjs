// End-to-end: an ONNX classifier trained elsewhere (the PyTorch peer's tiny64 exported by torch.onnx.export, random
// weights) imported through "AU Lens: Import ONNX Model…" from the Command Palette — the file, the layers to
// explain (shapes shown, stage outputs preselected), the labels — then face.jpg explained with it in the panel.
import fs from 'node:fs';
import path from 'node:path';
import { extDir, runE2E } from './lib.mjs';

const FIXTURE = path.join(extDir, 'test/fixtures/golden/tiny64-peer-onnx/model.onnx');

const prepare = (ws) => {
  fs.mkdirSync(path.join(ws, 'models'), { recursive: true });
  fs.copyFileSync(FIXTURE, path.join(ws, 'models/peer.onnx'));
};

await runE2E('import', { prepare }, async (ui) => {
  const { page, log, ws, step, shoot, tab, runCommand, quickPickRow, explorerMenu, focusWorkbench, notification, colourTheme } = ui;
  const panel = () => ui.webview();
  const model = path.join(ws, 'models/peer.onnx');
  /**
   * Answers VS Code's own file dialog in the browser (a quick input that takes a path). It fills in its folder a
   * moment after it opens, and may do so over typed text: wait for its list, type, and type again if it did.
   */
  const pickFile = async (file, { screenshot } = {}) => {
    const input = page.locator('.quick-input-widget input');
    await quickPickRow('..').waitFor();
    for (let i = 0; ; i++) {
      await input.fill(file);
      await page.waitForTimeout(400);
      if ((await input.inputValue()) !== file) continue;
      if (screenshot) await shoot(screenshot);
      await page.keyboard.press('Enter');
      const closed = await page.locator('.quick-input-widget .quick-input-title', { hasText: 'model file (1/3)' })
        .waitFor({ state: 'hidden', timeout: 3000 }).then(() => true, () => false);
      if (closed) return;
      if (i >= 5) throw new Error('the file dialog did not take the path');
      log('  the file dialog kept its own path; typing it again');
    }
  };

  /** The palette entry of our command, once the extension's contributions are in (they arrive after the workbench). */
  const runImport = async (options) => {
    for (let i = 0; ; i++) {
      try {
        return await runCommand('AU Lens: Import ONNX Model…', options);
      } catch (e) {
        if (i >= 5) throw e;
        await page.keyboard.press('Escape');
        log('  the command is not in the palette yet; trying again');
      }
    }
  };

  await step('Command Palette: "AU Lens: Import ONNX Model…" asks for the .onnx file', async () => {
    await runImport({ screenshot: '1-palette' });
    await pickFile(model, { screenshot: '2-file-dialog' });
  });

  await step('the layers quick pick lists every feature map with C × H × W, the stage outputs preselected', async () => {
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'layers to explain' }).waitFor({ timeout: 60_000 });
    await quickPickRow('16 × 64 × 64').waitFor();
    await page.locator('.quick-input-widget', { hasText: '3 Selected' }).waitFor();
    await page.waitForTimeout(300);
    await shoot('3-layers-quick-pick');
    // Filter to the block outputs: the three preselected stage outputs, one per resolution.
    await page.locator('.quick-input-widget input').fill('Relu_1');
    await quickPickRow('64 × 16 × 16').waitFor();
    await page.waitForTimeout(300);
    await shoot('3b-layers-filtered');
    await page.keyboard.press('Enter');
  });

  await step('the labels input box offers the paper\'s 7 classes; the sidecar opens for review', async () => {
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'labels' }).waitFor();
    await shoot('4-labels');
    await page.keyboard.press('Enter');
    await tab('peer.au-lens.json').waitFor({ timeout: 60_000 });
    await notification('peer.onnx is the active model').waitFor({ timeout: 30_000 });
    await page.locator('.statusbar-item', { hasText: 'peer.onnx' }).first().waitFor();
    await page.waitForTimeout(500);
    await shoot('5-sidecar');
    if (!fs.existsSync(path.join(ws, 'models/peer.au-lens.json'))) throw new Error('no sidecar beside the model');
  });

  await step('Explorer: "Explain Expression" on face.jpg explains it with the imported model, every CAM included', async () => {
    await runCommand('View: Close All Editors');
    await explorerMenu('face.jpg', 'Explain Expression');
    await tab('Explain: face.jpg').waitFor({ timeout: 60_000 });
    await panel().locator('#reading', { hasText: /\d\.\d\d/ }).waitFor({ timeout: 60_000 });
    await panel().locator('#thumbs .thumb').nth(6).waitFor(); // 3 layers' attention and 4 CAMs (+ the AU map when the class has one)
    await panel().locator('#bars .bar-row').nth(6).waitFor(); // 7 classes
    await page.waitForTimeout(800);
    log(`  reading: ${(await panel().locator('#reading').innerText()).trim()}`);
    await focusWorkbench();
    await shoot('6-explain-imported');
  });

  await step('Dark High Contrast: importing again offers to keep the existing sidecar', async () => {
    await colourTheme('Dark High Contrast');
    await runImport();
    await pickFile(model);
    // A sidecar exists now: a notification asks whether to keep it.
    const toast = notification('peer.au-lens.json exists already');
    await toast.waitFor({ timeout: 60_000 });
    await page.waitForTimeout(300);
    await shoot('7-sidecar-exists-high-contrast');
    await toast.locator('.monaco-button', { hasText: 'Use It' }).click();
    await toast.waitFor({ state: 'detached' });
    await colourTheme('Light Modern');
  });
});
