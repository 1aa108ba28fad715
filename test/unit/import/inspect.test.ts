/** au-lens inspect and the sidecar it writes: candidate layers, defaults, labels, the normalisation recipe. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { runCli } from '../../../src/trainer/cli/main';
import { openModel } from '../../../src/trainer/explain/modelFile';
import { inspectModel, layerDisplayName } from '../../../src/trainer/import/inspectModel';
import { parseSidecar, rgbNormalisation, sidecarPathFor } from '../../../src/trainer/import/sidecar';
import { EXPRESSIONS } from '../../../src/trainer/science/labels';
import { repoRoot } from '../../helpers/paths';
import { peerFixture, placePeerModel, useTempDir } from './fixture';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('import: au-lens inspect and the sidecar', function () {
  this.timeout(20000);
  const scratch = useTempDir('inspect');

  it('lists the spatial maps in graph order with shapes, defaults to the last map of each resolution', async () => {
    const file = await placePeerModel(scratch.dir, undefined);
    const r = await inspectModel(file, { trusted: true });
    assert.deepEqual(r.io, { input: 'input', size: 64, logits: 'logits' });
    assert.equal(r.classes, 7);
    assert.equal(r.layers.length, 19);
    assert.deepEqual(r.layers[0], { name: 'stem.0.Conv', value: '/model/stem/stem.0/Conv_output_0', node: 'Conv /model/stem/stem.0/Conv', shape: [16, 64, 64] });
    const { layers } = peerFixture();
    assert.deepEqual(r.defaults, [layers['stage1'], layers['stage2'], layers['stage3']]);
    assert.deepEqual(r.unsupported, []);
    assert.equal(r.sidecar.path, path.join(scratch.dir, 'model.au-lens.json'));
    assert.equal(layerDisplayName(layers['stage3']!), 'stages.2.0.Relu_1');
  });

  it('writes a sidecar that opens, refuses to overwrite it without --force, and refuses labels or layers that do not fit', async () => {
    const file = path.join(scratch.dir, 'model.onnx');
    const listed = await cli(['inspect', '--model', file, '--threads', '1']);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /input "input" 1×3×64×64, class scores "logits" \[N, 7\]/);
    assert.match(listed.out, /gradients: every op is covered/);
    assert.match(listed.out, /\* \/model\/stages\.2\/stages\.2\.0\/Relu_1_output_0 {2}\[64×16×16\]/);
    assert.match(listed.out, /no sidecar yet: au-lens inspect --model .* --write-sidecar/);
    const written = await cli(['inspect', '--model', file, '--write-sidecar', '--layers', '/model/stem/stem.2/Relu_output_0,/model/stages.2/stages.2.0/Relu_1_output_0']);
    assert.equal(written.code, 0, written.err);
    const sidecar = parseSidecar(JSON.parse(await readFile(sidecarPathFor(file), 'utf8')), 'sidecar');
    assert.deepEqual(sidecar.layers.map((l) => l.name), ['stem.2.Relu', 'stages.2.0.Relu_1']);
    assert.equal(sidecar.camLayer, 'stages.2.0.Relu_1');
    const model = await openModel(file, {}, { trusted: true });
    assert.deepEqual(model.description.attentionLayers, ['stem.2.Relu', 'stages.2.0.Relu_1']);
    await model.release();
    const again = await cli(['inspect', '--model', file, '--write-sidecar']);
    assert.equal(again.code, 1);
    assert.match(again.err, /a sidecar exists already at .*model\.au-lens\.json; edit it, or overwrite it \(--force\)/);
    assert.equal((await cli(['inspect', '--model', file, '--write-sidecar', '--force', '--labels', 'neutral,happy'])).code, 1);
    const wrongLayer = await cli(['inspect', '--model', file, '--write-sidecar', '--force', '--layers', 'fc']);
    assert.match(wrongLayer.err, /has no candidate layer "fc"; its candidates: \/model\/stem/);
    assert.equal((await cli(['inspect'])).code, 2);
  });

  it('turns BGR and 0–255 recipes into AU Lens\'s RGB 0–1 normalisation', () => {
    const s = parseSidecar({ labels: ['happy', 'sad'], input: { channels: 'BGR', scale: 255, mean: [103.9, 116.8, 123.7], std: [57.4, 57.1, 58.4] }, layers: ['x'] }, 'f');
    const n = rgbNormalisation(s.input);
    assert.deepEqual(n.mean.map((v) => +v.toFixed(4)), [0.4851, 0.458, 0.4075]);
    assert.deepEqual(n.std.map((v) => +v.toFixed(4)), [0.229, 0.2239, 0.2251]);
    assert.deepEqual(s.layers, [{ value: 'x', name: 'x' }]);
    assert.deepEqual(parseSidecar({ labels: ['happy', 'sad'], layers: ['x'] }, 'f').input.mean, [0.485, 0.456, 0.406]);
  });

  it('agrees with its JSON schema on fields, labels and enums (the editor validates what loading accepts)', async () => {
    const schema = JSON.parse(await readFile(path.join(repoRoot, 'schemas', 'au-lens-model.schema.json'), 'utf8')) as {
      properties: Record<string, { items?: { enum?: string[] }; properties?: Record<string, { enum?: unknown[] }>; enum?: unknown[] }>;
    };
    const allowed = (json: Record<string, unknown>): string[] => {
      try {
        parseSidecar(json, 'f');
      } catch (error) {
        return /allowed: (.*)$/.exec((error as Error).message)![1]!.split(', ');
      }
      return assert.fail('accepted an unknown field');
    };
    assert.deepEqual(allowed({ bogus: 1 }), Object.keys(schema.properties));
    assert.deepEqual(allowed({ labels: ['happy', 'sad'], input: { bogus: 1 }, layers: ['x'] }), Object.keys(schema.properties['input']!.properties!));
    assert.deepEqual(schema.properties['labels']!.items!.enum, [...EXPRESSIONS]);
    assert.deepEqual(schema.properties['input']!.properties!['channels']!.enum, ['RGB', 'BGR']);
    assert.deepEqual(schema.properties['input']!.properties!['scale']!.enum, [1, 255]);
    assert.deepEqual(schema.properties['crop']!.enum, ['paper', 'box']);
  });
});
