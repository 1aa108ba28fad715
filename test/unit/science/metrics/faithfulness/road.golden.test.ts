/**
 * ROAD against pytorch-grad-cam's own road.py (scripts/golden/make_road_fixture.py: its NoisyLinearImputer,
 * RemoveMost/LeastRelevantFirst and ROAD…RelevantFirst run on a 24×24 image, map and a tiny conv net). With the
 * noise off, the kept pixels must be identical and the imputed images equal to float32 rounding (road.py solves
 * with scipy's spsolve, we with a Cholesky factorisation); with road.py's own noise draws fed to both, every
 * per-percentile score, both means and the combined score must match. The model is rebuilt from the fixture's
 * weights with the graph builder and runs on ONNX Runtime.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runProbe } from '../../../../../src/trainer/science/metrics/faithfulness/classifier';
import { noisyLinearImputation } from '../../../../../src/trainer/science/metrics/faithfulness/imputation';
import type { Road, RoadOrder } from '../../../../../src/trainer/science/metrics/faithfulness/road';
import { planRoad, roadKeepMask } from '../../../../../src/trainer/science/metrics/faithfulness/road';
import type { ModelImage } from '../../../../../src/trainer/science/metrics/faithfulness/types';
import type { Heatmap } from '../../../../../src/trainer/science/types';
import { repoRoot } from '../../../../helpers/paths';
import { maxAbsDiff } from '../../../../helpers/runOp';
import type { OnnxClassifier } from './onnxModels';
import { onnxClassifier, tinyConvGraph } from './onnxModels';

interface Fixture {
  readonly size: number;
  readonly percentiles: readonly number[];
  readonly noise: number;
  readonly target: number;
  readonly scores: Readonly<Record<RoadOrder, readonly number[]>>;
  readonly means: Readonly<Record<RoadOrder, number>>;
  readonly combined: number;
  readonly tensors: readonly { readonly name: string; readonly shape: readonly number[]; readonly offset: number }[];
}

const DIR = path.join(repoRoot, 'test', 'fixtures', 'golden', 'road');
const index = JSON.parse(fs.readFileSync(path.join(DIR, 'index.json'), 'utf8')) as Fixture;
const bytes = fs.readFileSync(path.join(DIR, 'tensors.bin'));
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const entries = new Map(index.tensors.map((t) => [t.name, t]));
function tensor(name: string): Float32Array {
  const entry = entries.get(name);
  assert.ok(entry, `the fixture has no tensor "${name}"`);
  const count = entry.shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: count }, (_, i) => view.getFloat32(entry.offset + 4 * i, true));
}

const S = index.size;
const image: ModelImage = { channels: 3, width: S, height: S, data: tensor('image') };
const map: Heatmap = { width: S, height: S, data: tensor('map') };
const labels = ['a', 'b', 'c'];
const runs = (['morf', 'lerf'] as const).flatMap((order) => index.percentiles.map((p) => ({ order, p })));

describe('metrics/faithfulness/road against pytorch-grad-cam (golden fixture)', function () {
  this.timeout(30000);
  let classifier: OnnxClassifier;
  before(async () => {
    const weights = { convWeight: tensor('model/0.weight'), convBias: tensor('model/0.bias'), fcWeight: tensor('model/3.weight'), fcBias: tensor('model/3.bias') };
    classifier = await onnxClassifier(tinyConvGraph(weights, S, labels.length, 4), labels, 3, S, 4);
  });
  after(() => classifier.release());

  it('keeps the same pixels at every percentile, MoRF and LeRF', () => {
    for (const { order, p } of runs) {
      const keep = roadKeepMask(map, p, order);
      assert.deepEqual(Array.from(keep.data), Array.from(tensor(`${order}/${p}/keep`)), `${order} ${p}`);
      assert.ok(keep.pixels > 0);
    }
  });

  it('imputes as road.py does with the noise off', () => {
    let worst = 0;
    for (const { order, p } of runs) {
      const ours = noisyLinearImputation(image, roadKeepMask(map, p, order), { noise: 0 });
      worst = Math.max(worst, maxAbsDiff(ours, tensor(`${order}/${p}/imputed`)));
    }
    // Values lie within about ±2.6 (ImageNet-normalised), where one float32 step is 2.4e-7.
    assert.ok(worst < 1e-6, `largest difference ${worst}`);
  });

  it('imputes an image with nothing kept as road.py does: all 0 (a map tied at 0 over its lowest quarter)', () => {
    const plateau: Heatmap = { width: S, height: S, data: tensor('plateau/map') };
    const keep = roadKeepMask(plateau, 10, 'morf');
    assert.equal(keep.pixels, 0);
    // road.py's zeros carry signs (-0); the values are the same.
    assert.equal(maxAbsDiff(noisyLinearImputation(image, keep, { noise: 0 }), tensor('plateau/morf/10/imputed')), 0);
  });

  it('rebuilds the model: the same class probabilities on ONNX Runtime', async () => {
    const ours = await classifier.probabilities([image.data]);
    assert.ok(maxAbsDiff(ours, tensor('probabilities')) < 1e-6);
  });

  it('gives road.py\'s scores with road.py\'s noise draws', async () => {
    const normals = (order: RoadOrder, p: number, count: number): Float32Array => {
      const draws = tensor(`${order}/${p}/normals`);
      assert.equal(draws.length, count, `${order} ${p}: draws for every imputed value`);
      return draws;
    };
    const result = await runProbe(classifier, planRoad({ image, map, labels, className: labels[index.target]! }, { normals }));
    assert.equal(result.status, 'ok');
    const road = result as Road;
    for (const order of ['morf', 'lerf'] as const) {
      assert.ok(maxAbsDiff(road[order].perPercentile, index.scores[order]) < 2e-6, `${order}: ${road[order].perPercentile} vs ${index.scores[order]}`);
      assert.ok(Math.abs(road[order].mean - index.means[order]) < 2e-6);
    }
    assert.ok(Math.abs(road.combined - index.combined) < 2e-6, `combined ${road.combined} vs ${index.combined}`);
    assert.deepEqual(road.unanchored, []);
  });
});
