// End-to-end: vision transformers in the explanation panel (issue 20). A vit64 trained for one epoch by the CLI on a
// few CK+48 crops (research-only data, copied at test time, outside the workspace) and the torchvision-layout ViT of
// the golden fixture (test/fixtures/golden/import-vit, random weights) with the sidecar `au-lens inspect` writes, whose
// "tokens" put its tokens on the 4×4 patch grid and name its 3 blocks' attention Softmax for rollout. face.jpg is
// explained with each, picked from the status bar; the panel shows a token-grid layer, a class-token layer (vit64),
// attention rollout and Grad-CAM, each captioned with its layer name and metric.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copyCk48Subset, extDir, runE2E } from './lib.mjs';

const CLASSES = ['happy', 'surprise', 'sad', 'anger'];
const VIT_FIXTURE = path.join(extDir, 'test/fixtures/golden/import-vit/model.onnx');

function prepare(ws) {
  const data = path.join(path.dirname(ws), 'ck48-few');
  copyCk48Subset(data, { classes: CLASSES, perClass: 6 });
  // One epoch of vit64 on 24 crops: about 10 s on one thread; the maps need real weights only to have texture.
  execFileSync(process.execPath, [path.join(extDir, 'bin/au-lens.js'), 'train', '--model', 'vit64', '--data', data,
    '--out', path.join(ws, 'models/vit64'), '--epochs', '1', '--batch', '8', '--threads', '1', '--classes', CLASSES.join(','),
    '--cache', path.join(path.dirname(ws), 'cache')], { cwd: extDir, stdio: 'ignore' });
  fs.rmSync(path.join(ws, 'models/vit64/last.ckpt'));
  // The sidecar as `au-lens inspect` proposes it: "tokens" with each block's attention Softmax, and the outputs of
  // blocks 1 and 2 of 3 (the last block's patch tokens get no class-score gradient), named by module scope
  // (encoder_layer_1.Add_1).
  const vit = path.join(ws, 'models/torchvision-vit.onnx');
  fs.copyFileSync(VIT_FIXTURE, vit);
  execFileSync(process.execPath, [path.join(extDir, 'bin/au-lens.js'), 'inspect', '--model', vit, '--write-sidecar', '--threads', '1'],
    { cwd: extDir, stdio: 'ignore' });
  const { tokens } = JSON.parse(fs.readFileSync(path.join(ws, 'models/torchvision-vit.au-lens.json'), 'utf8'));
  const attention = [0, 1, 2].map((k) => `/encoder/layers/encoder_layer_${k}/self_attention/Softmax_output_0`);
  if (JSON.stringify(tokens) !== JSON.stringify({ grid: [4, 4], skip: 1, attention })) {
    throw new Error(`the sidecar's tokens are ${JSON.stringify(tokens)}`);
  }
}

await runE2E('vit', { prepare }, async (ui) => {
  const { log, step, shoot, explorerMenu, tab, focusWorkbench, statusItem, quickPickRow, colourTheme } = ui;
  const panel = () => ui.webview();
  const caption = () => panel().locator('#overlay-caption');

  /** A number that changes whenever the overlay canvas's pixels do. */
  const overlaySum = () => panel().locator('#overlay').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i] * 3 + d[i + 1] * 5 + d[i + 2] * 7;
    return sum;
  });

  /**
   * Picks a model from the status bar's quick pick; the panel explains face.jpg with it again, its reading naming
   * `camLayer` (the earlier model's reading stays until then).
   */
  const selectModel = async (label, camLayer) => {
    await statusItem('AU Lens:').click();
    await quickPickRow(label).click();
    await statusItem(label).waitFor({ timeout: 60_000 });
    await panel().locator('#reading', { hasText: `of ${camLayer} attention lies on` }).waitFor({ timeout: 90_000 });
    log(`  reading: ${(await panel().locator('#reading').innerText()).trim()}`);
  };

  /** Shows one map by its thumbnail; the overlay changes and its caption names the map and its metric. */
  const showMap = async (title, expectCaption, screenshot) => {
    const before = await overlaySum();
    await panel().locator(`#thumbs .thumb[aria-label="Show ${title}"]`).click();
    await caption().filter({ hasText: expectCaption }).waitFor();
    if ((await overlaySum()) === before) throw new Error(`the overlay did not change for ${title}`);
    log(`  ${(await caption().innerText()).trim()}`);
    await panel().locator('#maps-h').scrollIntoViewIfNeeded();
    await focusWorkbench();
    await shoot(screenshot);
  };

  const thumbTitles = async () => (await panel().locator('#thumbs .thumb').evaluateAll((b) => b.map((e) => e.title)));

  await step('Explorer: "Explain Expression" on face.jpg opens the panel', async () => {
    await explorerMenu('face.jpg', 'Explain Expression');
    await tab('Explain: face.jpg').waitFor({ timeout: 60_000 });
    await panel().locator('#reading', { hasText: 'attention lies on' }).waitFor({ timeout: 90_000 });
  });

  await step('status bar: the trained vit64 checkpoint; every block\'s token grid and class-token attention, rollout and 4 CAMs', async () => {
    await selectModel('best.ckpt', 'block5');
    // The AU map, block1…6, block1.cls…block6.cls, rollout, CAM, Grad-CAM, Grad-CAM++, LayerCAM.
    await panel().locator('#thumbs .thumb').nth(17).waitFor();
    const titles = await thumbTitles();
    log(`  maps: ${titles.join(' | ')}`);
    for (const name of ['block6', 'block6.cls', 'rollout', 'Grad-CAM']) {
      if (!titles.some((t) => t.includes(name))) throw new Error(`no ${name} map among ${titles.join(', ')}`);
    }
    // The default map is the CAM layer's token grid: block5, the grid entering the last block.
    await caption().filter({ hasText: /block5.*ATT-COS \d\.\d\d/ }).waitFor();
    await panel().locator('#maps-h').scrollIntoViewIfNeeded();
    await focusWorkbench();
    await shoot('1-vit64-block5-token-grid');
    await panel().locator('#thumbs .thumb').nth(17).scrollIntoViewIfNeeded();
    await focusWorkbench();
    await shoot('1b-vit64-every-map');
  });

  await step('vit64: attention rollout, the class token\'s attention and Grad-CAM, each with its metric', async () => {
    const titles = await thumbTitles();
    const find = (re) => titles.find((t) => re.test(t)) ?? (() => { throw new Error(`no map matches ${re}`); })();
    await showMap(find(/rollout/), /rollout.*ATT-COS \d\.\d\d/, '2-vit64-rollout');
    await showMap(find(/block6\.cls/), /block6\.cls.*ATT-COS \d\.\d\d/, '3-vit64-block6-cls');
    await showMap(find(/^Grad-CAM\b(?!\+)/), /Grad-CAM.*CAM-COS \d\.\d\d/, '4-vit64-gradcam');
    await panel().locator('#metrics-card').scrollIntoViewIfNeeded();
    await focusWorkbench();
    await shoot('5-vit64-metrics');
  });

  await step('status bar: the imported torchvision ViT; its token layers as 4×4 grids, their rollout and every gradient CAM', async () => {
    await selectModel('torchvision-vit.onnx', 'encoder_layer_1.Add_1');
    // The AU map (when the class has one), 2 token layers, rollout, Grad-CAM, Grad-CAM++, LayerCAM (no CAM: no linear
    // head).
    await panel().locator('#thumbs .thumb').nth(5).waitFor();
    const titles = await thumbTitles();
    log(`  maps: ${titles.join(' | ')}`);
    const rollout = titles.find((t) => /rollout/.test(t));
    if (!rollout) throw new Error(`no rollout map among ${titles.join(', ')}`);
    // Grad-CAM stays shown (the panel keeps the map chosen for this image when the new model has it).
    await caption().filter({ hasText: /^Grad-CAM \(CAM-COS/ }).waitFor();
    await showMap('encoder_layer_0.Add_1 attention', /^encoder_layer_0\.Add_1 attention \(ATT-COS \d\.\d\d/, '6-imported-block1');
    await showMap('encoder_layer_1.Add_1 attention', /^encoder_layer_1\.Add_1 attention \(ATT-COS \d\.\d\d/, '7-imported-block2');
    await showMap(rollout, /rollout.*ATT-COS \d\.\d\d/, '7b-imported-rollout');
    await showMap(titles.find((t) => /^Grad-CAM\b(?!\+)/.test(t)) ?? 'Grad-CAM', /Grad-CAM.*CAM-COS \d\.\d\d/, '8-imported-gradcam');
    await panel().locator('#metrics-card').scrollIntoViewIfNeeded();
    await focusWorkbench();
    await shoot('9-imported-metrics');
  });

  await step('Dark Modern: the imported model\'s 2nd block grid beside its Grad-CAM across the split', async () => {
    await panel().locator('#map-a').click();
    await panel().locator('#map-a [role="option"]', { hasText: /^\s*encoder_layer_1\.Add_1 attention\s*$/ }).first().click();
    await panel().locator('#map-b').click();
    await panel().locator('#map-b [role="option"]', { hasText: /^\s*Grad-CAM\s*$/ }).first().click();
    await caption().filter({ hasText: /^Left: encoder_layer_1\.Add_1 attention .* right: Grad-CAM/ }).waitFor();
    await panel().locator('#maps-h').scrollIntoViewIfNeeded();
    await colourTheme('Dark Modern');
    await shoot('10-imported-split-dark');
    await colourTheme('Light Modern');
  });
});
