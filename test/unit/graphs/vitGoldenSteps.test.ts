/**
 * The vit64 preset's training step against PyTorch: the two SGD steps of scripts/golden/make_vit64_fixture.py
 * (composite loss on the block-6 token grid, Nesterov momentum, weight decay in timm's two groups) run through
 * buildTrainStep, step 2 fed with our own step-1 state as the training loop does. The fixture stores samples of each
 * updated tensor (test/helpers/vitFixture.ts), compared with the tolerances of the tiny64 step test
 * (test/unit/graphs/golden.test.ts): 1e-4 relative, floor 1e-3 for values (logits, weights), 0.1 for sums of
 * gradients (the momentum buffers). No parameter starts at zero here, so none needs the tiny64 test's β floor.
 */
import assert from 'node:assert/strict';
import type { InferenceSession } from 'onnxruntime-node';
import type { TrainStepIO } from '../../../src/trainer/graphs/trainStep';
import { TRAIN_INPUTS, buildTrainStep, momentumName, updatedName } from '../../../src/trainer/graphs/trainStep';
import { paramSpecs } from '../../../src/trainer/models/params';
import { numel } from '../../../src/trainer/onnx/graph';
import type { Feeds } from '../../../src/trainer/onnx/session';
import { createSession, floatTensor, int64Tensor } from '../../../src/trainer/onnx/session';
import { readGoldenFixture, relError } from '../../helpers/goldenFixture';
import type { VitFixture } from '../../helpers/vitFixture';
import { fixedValues, sampleIndices, VIT_FIXTURE_DIR } from '../../helpers/vitFixture';

const TOL = 1e-4;
const VALUE_FLOOR = 1e-3;
const GRADIENT_FLOOR = 0.1;

interface Worst { readonly name: string; readonly error: number }
const fmt = (w: Worst): string => `${w.error.toExponential(2)} (${w.name})`;

describe('graphs: vit64 training step against PyTorch (two SGD steps of the vit64 golden fixture)', function () {
  this.timeout(120000);
  const { index, tensor } = readGoldenFixture<VitFixture>(VIT_FIXTURE_DIR);
  const report: string[] = [];
  let io: TrainStepIO;
  let session: InferenceSession;
  const outputs: Record<string, Float32Array>[] = [];
  const n = index.batch;
  const size = index.arch['image_size']!;

  const shapeOf = (name: string): readonly number[] => io.inputs.find((s) => s.name === name)!.shape;
  const runStep = async (lr: number, state: ReadonlyMap<string, Float32Array>): Promise<Record<string, Float32Array>> => {
    const feeds: Feeds = {
      [TRAIN_INPUTS.image]: floatTensor(fixedValues(n * 3 * size * size, index.imageStream), [n, 3, size, size]),
      [TRAIN_INPUTS.labels]: int64Tensor(index.labels, [n]),
      [TRAIN_INPUTS.auMaps]: floatTensor(tensor('input/au_maps'), [n, 1, size, size]),
      [TRAIN_INPUTS.auValid]: floatTensor(Float32Array.from(index.labels, (y) => (y === 0 ? 0 : 1)), [n]),
      [TRAIN_INPUTS.lr]: floatTensor(Float32Array.of(lr), []),
    };
    for (const { input } of io.state) feeds[input] = floatTensor(state.get(input)!, shapeOf(input));
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  };

  /** The worst sampled tensor of `names` (parameter names) against the fixture's `step<k>/<prefix><name>`. */
  const worst = (k: 1 | 2, out: Record<string, Float32Array>, prefix: string, floor: number): Worst =>
    index.params.reduce<Worst>((w, p, i) => {
      const ours = out[updatedName(`${prefix}${p.name}`)]!;
      const picked = sampleIndices(ours.length, i, index.sample).map((j) => ours[j]!);
      const error = relError(picked, tensor(`step${k}/new.${prefix}${p.name}`), floor);
      return error > w.error ? { name: p.name, error } : w;
    }, { name: '', error: 0 });

  const checkLosses = (k: 1 | 2, out: Record<string, Float32Array>, lines: string[]): void => {
    const ref = index.steps[k - 1]!;
    for (const key of ['loss', 'ce', 'align'] as const) {
      const err = Math.abs(out[key]![0]! - ref[key]) / Math.abs(ref[key]);
      lines.push(`${key} ${out[key]![0]} vs ${ref[key]} (relative ${err.toExponential(2)})`);
      assert.ok(err <= 1e-6, `step ${k} ${key}: ours ${out[key]![0]}, PyTorch ${ref[key]} (${err.toExponential(2)})`);
    }
  };

  before(async () => {
    const opt = index.optimizer;
    const built = buildTrainStep({
      preset: 'vit64', numClasses: index.numClasses, batch: n, lambda: index.lambda, layers: ['block6'],
      momentum: opt.momentum, nesterov: opt.nesterov, weightDecay: opt.weightDecay,
    });
    io = built.io;
    session = await createSession(built.model);
  });
  after(async () => {
    await session?.release();
    if (report.length > 0) console.log(`    ${report.join('\n    ')}`);
  });

  it('trains every parameter of the fixture, in its order, with no running statistics', () => {
    assert.deepEqual(io.params, index.params.map((p) => p.name));
    assert.deepEqual(io.runningStats, []);
    const undecayed = paramSpecs('vit64', index.numClasses).filter((s) => s.decay === false).map((s) => s.name);
    assert.ok(undecayed.includes('cls_token') && undecayed.includes('pos_embed') && undecayed.includes('norm.bias'));
    assert.ok(!undecayed.includes('blocks.0.attn.qkv.weight') && !undecayed.includes('head.weight'));
  });

  it('step 1 from the fixed weights and zero momentum matches PyTorch', async () => {
    const state = new Map<string, Float32Array>();
    index.params.forEach((p, k) => state.set(p.name, fixedValues(numel(p.shape), k, p.base, p.scale)));
    for (const name of io.momentum) state.set(name, new Float32Array(numel(shapeOf(name))));
    const out = (outputs[0] = await runStep(index.optimizer.lrs[0]!, state));
    const lines = ['step 1:'];
    checkLosses(1, out, lines);
    const weights = worst(1, out, '', VALUE_FLOOR);
    const buffers = worst(1, out, 'momentum.', GRADIENT_FLOOR);
    lines.push(`weights ${fmt(weights)} at floor ${VALUE_FLOOR}; momentum ${fmt(buffers)} at floor ${GRADIENT_FLOOR}`);
    report.push(lines.join('\n      '));
    assert.ok(weights.error <= TOL, `step 1 weights: ${fmt(weights)}`);
    assert.ok(buffers.error <= TOL, `step 1 momentum buffers: ${fmt(buffers)}`);
  });

  it('step 2 (our step-1 state fed back, another learning rate) matches PyTorch', async () => {
    assert.ok(outputs[0], 'step 1 must run first');
    const state = new Map(io.state.map(({ input, output }) => [input, outputs[0]![output]!]));
    const out = await runStep(index.optimizer.lrs[1]!, state);
    const lines = ['step 2:'];
    checkLosses(2, out, lines);
    const logits = relError(out['logits']!, tensor('step2/logits'), VALUE_FLOOR);
    const weights = worst(2, out, '', VALUE_FLOOR);
    lines.push(`logits ${logits.toExponential(2)}; weights ${fmt(weights)} at floor ${VALUE_FLOOR}`);
    report.push(lines.join('\n      '));
    assert.ok(logits <= TOL, `step 2 logits: ${logits.toExponential(2)}`);
    assert.ok(weights.error <= TOL, `step 2 weights: ${fmt(weights)}`);
    assert.deepEqual(io.momentum, index.params.map((p) => momentumName(p.name)));
  });
});
