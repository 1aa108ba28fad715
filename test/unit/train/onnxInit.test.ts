/**
 * `--init FILE.onnx`: weights exported by torch.onnx.export (test/fixtures/init, scripts/golden/make_init_fixtures.py)
 * mapped onto our parameters by name, with the exporter's renamings undone, and every mismatch refused by name.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { vitParamSpecs } from '../../../src/trainer/models/vitParams';
import type { VitArch } from '../../../src/trainer/models/vitArch';
import type { NamedWeight } from '../../../src/trainer/train/onnxInit';
import {
  exportedWeights, isOnnxInit, loadOnnxInit, mapOntoPreset, mapOntoSpecs, OnnxInitError,
} from '../../../src/trainer/train/onnxInit';
import { repoRoot } from '../../helpers/paths';

const DIR = path.join(repoRoot, 'test', 'fixtures', 'init');
interface Summary { readonly shape: number[]; readonly sum: number; readonly first: number[] }
const index = JSON.parse(readFileSync(path.join(DIR, 'index.json'), 'utf8')) as {
  readonly classes: number;
  readonly files: Record<string, Record<string, Summary>>;
};
const TINY: VitArch = {
  imageSize: 16, patch: 8, width: 16, depth: 2, heads: 2, mlpRatio: 2, epsilon: 1e-6, gelu: 'none',
};
const weightsOf = (file: string): Map<string, NamedWeight> =>
  exportedWeights(onnx.ModelProto.decode(readFileSync(path.join(DIR, file))));

/** Checks each mapped tensor against the exporter's state_dict summary, under the file's own name. */
function assertSame(mapped: ReadonlyMap<string, Float32Array>, file: string, theirs: (ours: string) => string): void {
  for (const [name, data] of mapped) {
    const ref = index.files[file]![theirs(name)];
    assert.ok(ref, `${file}: no state_dict entry for ${name}`);
    const sum = data.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - ref.sum) <= 1e-4 * Math.max(1, Math.abs(ref.sum)), `${name}: sum ${sum} vs ${ref.sum}`);
    assert.deepEqual([...data.subarray(0, 2)].map((v) => Math.fround(v)), ref.first.map(Math.fround), name);
  }
}

const TORCHVISION: Record<string, string> = {
  cls_token: 'class_token', pos_embed: 'encoder.pos_embedding', 'patch_embed.proj.weight': 'conv_proj.weight',
  'patch_embed.proj.bias': 'conv_proj.bias', 'norm.weight': 'encoder.ln.weight', 'norm.bias': 'encoder.ln.bias',
};
function torchvisionName(ours: string): string {
  if (TORCHVISION[ours]) return TORCHVISION[ours];
  const m = /^blocks\.(\d+)\.(.+)$/.exec(ours)!;
  const rest = m[2]!
    .replace(/^norm1\./, 'ln_1.').replace(/^norm2\./, 'ln_2.')
    .replace(/^attn\.qkv\.(weight|bias)$/, 'self_attention.in_proj_$1').replace(/^attn\.proj\./, 'self_attention.out_proj.')
    .replace(/^mlp\.fc1\./, 'mlp.0.').replace(/^mlp\.fc2\./, 'mlp.3.');
  return `encoder.layers.encoder_layer_${m[1]}.${rest}`;
}

describe('train: --init FILE.onnx (weights exported by torch.onnx.export)', () => {
  const vit = { name: 'tiny ViT', vit: true };
  const specs = vitParamSpecs(TINY, 7);

  it('reads a timm ViT behind a wrapper prefix, with folded transposed Linear weights and Identity aliases', () => {
    const mapped = mapOntoSpecs(weightsOf('vit-timm.onnx'), specs, vit, 'vit-timm.onnx');
    assert.equal(mapped.size, specs.length - 2, 'everything but the head');
    assert.ok(!mapped.has('head.weight'));
    assertSame(mapped, 'vit-timm.onnx', (n) => `model.${n}`);
  });

  it('reads torchvision’s ViT layout (MultiheadAttention’s in_proj as qkv) in timm’s names', () => {
    const mapped = mapOntoSpecs(weightsOf('vit-torchvision.onnx'), specs, vit, 'vit-torchvision.onnx');
    assert.equal(mapped.size, specs.length - 2);
    assertSame(mapped, 'vit-torchvision.onnx', torchvisionName);
  });

  it('reads a ResNet exported in training mode, BatchNorm statistics included', () => {
    const mapped = mapOntoPreset(weightsOf('tiny64-train.onnx'), 'tiny64', 'tiny64-train.onnx');
    assert.ok(mapped.has('stages.2.0.bn2.running_var'));
    assertSame(mapped, 'tiny64-train.onnx', (n) => `net.${n}`);
  });

  it('refuses by name: folded BatchNorm (with the export flag that keeps it), shapes, missing and extra tensors', () => {
    assert.throws(
      () => mapOntoPreset(weightsOf('tiny64-eval.onnx'), 'tiny64', 'tiny64-eval.onnx'),
      /no weight for "stem\.0\.weight" \[16, 3, 3, 3\], which tiny64 needs .*training=torch\.onnx\.TrainingMode\.TRAINING/,
    );
    assert.throws(
      () => mapOntoSpecs(weightsOf('vit-timm.onnx'), vitParamSpecs({ ...TINY, width: 32, heads: 4 }, 7), vit, 'f'),
      /"cls_token" is \[1, 1, 16\] in the file, tiny ViT needs \[1, 1, 32\] \(read as timm names after "model\."\)/,
    );
    assert.throws(
      () => mapOntoSpecs(weightsOf('vit-timm.onnx'), vitParamSpecs({ ...TINY, depth: 3 }, 7), vit, 'f'),
      /no weight for "blocks\.2\.norm1\.weight" \[16\], which tiny ViT needs/,
    );
    assert.throws(
      () => mapOntoSpecs(weightsOf('vit-timm.onnx'), vitParamSpecs({ ...TINY, depth: 1 }, 7), vit, 'f'),
      /it has "model\.blocks\.1\.norm1\.weight" \[16\], which tiny ViT does not have/,
    );
    assert.throws(() => mapOntoPreset(weightsOf('vit-timm.onnx'), 'vit64', 'f'), /"cls_token" is \[1, 1, 16\]/);
  });

  it('loads a file as a class-less checkpoint of the preset, and refuses what is no ONNX weights file', async () => {
    assert.ok(isOnnxInit('weights/resnet18.ONNX') && !isOnnxInit('run/best.ckpt'));
    const ckpt = await loadOnnxInit(path.join(DIR, 'tiny64-train.onnx'), 'tiny64');
    assert.deepEqual([ckpt.model.preset, ckpt.labels.length], ['tiny64', 0]);
    assert.ok(!ckpt.tensors.model.some((t) => t.name.startsWith('fc.')));
    await assert.rejects(loadOnnxInit(path.join(DIR, 'missing.onnx'), 'tiny64'), /missing\.onnx: file not found/);
    await assert.rejects(loadOnnxInit(DIR, 'tiny64'), /not a regular file/);
    await assert.rejects(loadOnnxInit(path.join(DIR, 'index.json'), 'tiny64'), (e: unknown) =>
      e instanceof OnnxInitError && /not a valid ONNX model|no weight for/.test(e.problem));
  });
});
