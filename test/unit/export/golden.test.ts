/**
 * The exported model against PyTorch: eval-mode outputs of the peer's tiny64 recorded by
 * scripts/golden/make_eval_fixture.py (torch 1.13, float32) for the train-step fixture's initial weights and for
 * the same weights with random BatchNorm statistics. Relative error max |a − b| / max |b| per tensor, as the
 * train-step golden test measures values; tolerance 1e-5 (float32 convolutions summed in another order).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { untrainedCheckpoint } from '../../../src/trainer/explain/benchExplain';
import { exportModelBytes } from '../../../src/trainer/export/exportModel';
import { checkpointModel } from '../../../src/trainer/export/modelDescription';
import { attentionName } from '../../../src/trainer/graphs/inference';
import type { ParamStore } from '../../../src/trainer/models/types';
import { numel } from '../../../src/trainer/onnx/graph';
import { floatTensor } from '../../../src/trainer/onnx/session';
import { PAPER_CLASSES } from '../../../src/trainer/science/labels';
import { repoRoot } from '../../helpers/paths';
import { maxRelDiff, runOnce } from './fixtures';

interface Fixture {
  readonly preset: 'tiny64';
  readonly numClasses: number;
  readonly batch: number;
  readonly layers: readonly string[];
  readonly variants: readonly string[];
  readonly params: readonly string[];
  readonly perturbed: readonly string[];
  readonly tensors: readonly { readonly name: string; readonly shape: readonly number[]; readonly offset: number }[];
}

const FIXTURE_DIR = path.join(repoRoot, 'test', 'fixtures', 'golden', 'tiny64-eval');
const TOL = 1e-5;

describe('export: the exported model against PyTorch eval mode (tiny64 golden fixture)', function () {
  this.timeout(30000);
  const index = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'index.json'), 'utf8')) as Fixture;
  const bytes = fs.readFileSync(path.join(FIXTURE_DIR, 'tensors.bin'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = new Map(index.tensors.map((t) => [t.name, t]));
  const tensor = (name: string): Float32Array => {
    const entry = entries.get(name);
    assert.ok(entry, `fixture has no tensor "${name}"`);
    return Float32Array.from({ length: numel(entry.shape) }, (_, i) => view.getFloat32(entry.offset + 4 * i, true));
  };
  const shapeOf = (name: string): readonly number[] => entries.get(name)!.shape;
  const report: string[] = [];
  after(() => console.log(`    ${report.join('\n    ')}`));

  for (const variant of ['init', 'perturbed'] as const) {
    it(`matches PyTorch for the ${variant} weights: logits, every layer's attention, features`, async () => {
      assert.equal(index.numClasses, PAPER_CLASSES.length);
      const weights: ParamStore = new Map(index.params.map((n) => [n, tensor(`init/${n}`)]));
      if (variant === 'perturbed') for (const n of index.perturbed) weights.set(n, tensor(`perturbed/${n}`));
      // The description comes from a checkpoint of the same preset; only the weights are the fixture's.
      const { description } = checkpointModel(untrainedCheckpoint(index.preset), 'fixture');
      const model = exportModelBytes(description, weights);
      const out = await runOnce(model, { image: floatTensor(tensor('input/image'), shapeOf('input/image')) });
      const names = ['logits', ...index.layers.map(attentionName), 'features'];
      const errors = names.map((name) => {
        const error = maxRelDiff(out[name]!, tensor(`${variant}/out/${name}`));
        assert.ok(error <= TOL, `${variant} ${name}: relative error ${error.toExponential(2)} exceeds ${TOL}`);
        return `${name} ${error.toExponential(1)}`;
      });
      report.push(`${variant}: ${errors.join(', ')}`);
    });
  }
});
