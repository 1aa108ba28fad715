/**
 * The training step against PyTorch: two SGD steps of the peer's tiny64 recorded by
 * scripts/golden/make_train_step_fixture.py (torch 1.13, float32, plus float64 gradients). Step 1 starts from the
 * fixture's initial weights with zero momentum buffers; step 2 feeds our own step-1 outputs back through
 * TrainStepIO.state with another learning rate, as the training loop does.
 *
 * Relative error of a tensor: max_i |a_i − b_i| / max(|b_i|, floor·max|b|), tolerance 1e-4. The floor is 1e-3 for
 * values (logits, running statistics, weights that start away from zero). For sums of gradients — the momentum
 * buffers, and BatchNorm β, which starts at zero and so holds nothing but accumulated updates — it is 0.1:
 * float32 summation error scales with the tensor's terms, not with an entry that nearly cancels, and PyTorch
 * float32 itself is 1.7e-3 (buffers) and 1.0e-3 (β) from float64 at floor 1e-3, but 3.2e-5 and 1.0e-5 at 0.1
 * (index.json, torchFloat32VsFloat64). At floor 1e-3 we check instead that our gradients are no farther from
 * float64 than PyTorch float32's.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import type { TrainStepIO } from '../../../src/trainer/graphs/trainStep';
import { TRAIN_INPUTS, buildTrainStep, momentumName, updatedName } from '../../../src/trainer/graphs/trainStep';
import { paramSpecs } from '../../../src/trainer/models/params';
import { numel } from '../../../src/trainer/onnx/graph';
import type { Feeds } from '../../../src/trainer/onnx/session';
import { createSession, floatTensor, int64Tensor } from '../../../src/trainer/onnx/session';
import { readGoldenFixture, relError } from '../../helpers/goldenFixture';
import { repoRoot } from '../../helpers/paths';

type Floors = Readonly<Record<'floor0.001' | 'floor0.1', number>>;

interface Fixture {
  readonly preset: 'tiny64';
  readonly numClasses: number;
  readonly batch: number;
  readonly lambda: number;
  readonly layer: string;
  readonly optimizer: { readonly lrs: readonly number[]; readonly momentum: number; readonly nesterov: boolean; readonly weightDecay: number };
  readonly labels: readonly number[];
  readonly params: readonly string[];
  readonly runningStats: readonly string[];
  readonly steps: readonly { readonly loss: number; readonly ce: number; readonly align: number }[];
  readonly torchFloat32VsFloat64: readonly { readonly momentum: Floors }[];
  readonly tensors: readonly { readonly name: string; readonly shape: readonly number[]; readonly offset: number }[];
}

const FIXTURE_DIR = path.join(repoRoot, 'test', 'fixtures', 'golden', 'tiny64-step');
const TOL = 1e-4;
const VALUE_FLOOR = 1e-3;
const GRADIENT_FLOOR = 0.1;

interface Worst { readonly name: string; readonly error: number }

/** The worst tensor of a group, by relError of ours against the reference. */
function worstOf(names: readonly string[], ours: (n: string) => Float32Array, ref: (n: string) => Float32Array, floor: number): Worst {
  return names.reduce<Worst>((w, name) => {
    const error = relError(ours(name), ref(name), floor);
    return error > w.error ? { name, error } : w;
  }, { name: '', error: 0 });
}

const fmt = (w: Worst): string => `${w.error.toExponential(2)} (${w.name})`;

/** Appended to each step's report, printed once at the end. */
const report: string[] = [];

describe('graphs: training step against PyTorch (tiny64 golden fixture)', function () {
  this.timeout(60000);
  const { index, tensor } = readGoldenFixture<Fixture>(FIXTURE_DIR);
  const bnBiases = new Set(paramSpecs(index.preset, index.numClasses).filter((s) => s.role === 'bn_bias').map((s) => s.name));
  let io: TrainStepIO;
  let session: InferenceSession;
  const outputs: Record<string, Float32Array>[] = [];

  const shapeOf = (name: string): readonly number[] => io.inputs.find((s) => s.name === name)!.shape;
  const runStep = async (lr: number, state: ReadonlyMap<string, Float32Array>): Promise<Record<string, Float32Array>> => {
    const feeds: Feeds = {
      [TRAIN_INPUTS.image]: floatTensor(tensor('input/image'), shapeOf(TRAIN_INPUTS.image)),
      [TRAIN_INPUTS.labels]: int64Tensor(index.labels, [index.batch]),
      [TRAIN_INPUTS.auMaps]: floatTensor(tensor('input/au_maps'), shapeOf(TRAIN_INPUTS.auMaps)),
      [TRAIN_INPUTS.auValid]: floatTensor(tensor('input/au_valid'), [index.batch]),
      [TRAIN_INPUTS.lr]: floatTensor(Float32Array.of(lr), []),
    };
    for (const { input } of io.state) feeds[input] = floatTensor(state.get(input)!, shapeOf(input));
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  };

  /** Checks one step's scalars and tensors against the fixture's `step<k>/…` and reports the worst of each group. */
  const checkStep = (k: 1 | 2, out: Record<string, Float32Array>): void => {
    const ref = index.steps[k - 1]!;
    const lines = [`step ${k}:`];
    for (const key of ['loss', 'ce', 'align'] as const) {
      const err = Math.abs(out[key]![0]! - ref[key]) / Math.abs(ref[key]);
      lines.push(`${key} ${out[key]![0]} vs ${ref[key]} (relative ${err.toExponential(2)})`);
      assert.ok(err <= 1e-6, `step ${k} ${key}: ours ${out[key]![0]}, PyTorch ${ref[key]} (relative error ${err.toExponential(2)})`);
    }
    const ours = (n: string): Float32Array => out[n]!;
    const theirs = (n: string): Float32Array => tensor(`step${k}/${n}`);
    const weights = io.params.filter((p) => !bnBiases.has(p)).map(updatedName);
    const biases = io.params.filter((p) => bnBiases.has(p)).map(updatedName);
    const groups: [string, readonly string[], number][] = [
      ['logits', ['logits'], VALUE_FLOOR],
      ['running stats', io.runningStats.map(updatedName), VALUE_FLOOR],
      ['weights', weights, VALUE_FLOOR],
      ['BN biases', biases, GRADIENT_FLOOR],
      ...(k === 1 ? [['momentum buffers', io.momentum.map(updatedName), GRADIENT_FLOOR] as [string, readonly string[], number]] : []),
    ];
    for (const [label, names, floor] of groups) {
      const worst = worstOf(names, ours, theirs, floor);
      const atValueFloor = floor === VALUE_FLOOR ? '' : `; at floor ${VALUE_FLOOR} ${fmt(worstOf(names, ours, theirs, VALUE_FLOOR))}`;
      lines.push(`${label} ${fmt(worst)} at floor ${floor}${atValueFloor}`);
      assert.ok(worst.error <= TOL, `step ${k} ${label}: relative error ${fmt(worst)} exceeds ${TOL}`);
    }
    report.push(lines.join('\n    '));
  };

  before(async () => {
    const opt = index.optimizer;
    const built = buildTrainStep({
      preset: index.preset, numClasses: index.numClasses, batch: index.batch, lambda: index.lambda, layers: [index.layer],
      momentum: opt.momentum, nesterov: opt.nesterov, weightDecay: opt.weightDecay,
    });
    io = built.io;
    session = await createSession(built.model);
  });
  after(async () => {
    await session?.release();
    if (report.length > 0) console.log(`    ${report.join('\n    ')}`);
  });

  it('names parameters and running statistics exactly as the PyTorch state_dict', () => {
    assert.deepEqual(io.params, index.params);
    assert.deepEqual(io.runningStats, index.runningStats);
    assert.deepEqual(io.momentum, index.params.map(momentumName));
    assert.deepEqual(io.state.map((s) => s.output), io.state.map((s) => updatedName(s.input)));
  });

  it('step 1 from zero momentum buffers matches PyTorch', async () => {
    const state = new Map<string, Float32Array>();
    for (const name of [...io.params, ...io.runningStats]) state.set(name, tensor(`init/${name}`));
    for (const name of io.momentum) state.set(name, new Float32Array(numel(shapeOf(name))));
    outputs[0] = await runStep(index.optimizer.lrs[0]!, state);
    checkStep(1, outputs[0]);
  });

  it('step 1 gradients are no farther from float64 than PyTorch float32 is', () => {
    const names = io.momentum.map(updatedName);
    const ours = worstOf(names, (n) => outputs[0]![n]!, (n) => tensor(`step1/float64/${n}`), VALUE_FLOOR);
    const torch32 = index.torchFloat32VsFloat64[0]!.momentum['floor0.001'];
    report.push(`step 1 momentum buffers vs float64 at floor ${VALUE_FLOOR}: ours ${fmt(ours)}, PyTorch float32 ${torch32.toExponential(2)}`);
    assert.ok(ours.error <= torch32, `ours ${fmt(ours)} vs PyTorch float32 ${torch32}`);
  });

  it('step 2 (our step-1 state fed back, another learning rate) matches PyTorch', async () => {
    assert.ok(outputs[0], 'step 1 must run first');
    const state = new Map(io.state.map(({ input, output }) => [input, outputs[0]![output]!]));
    outputs[1] = await runStep(index.optimizer.lrs[1]!, state);
    checkStep(2, outputs[1]);
  });

  it('applies exactly torch.optim.SGD (Nesterov, weight decay) to its own gradients', () => {
    // From step k's buffers: d_k = buf_k − μ·buf_{k−1} is the decayed gradient, and w_k = w_{k−1} − lr_k·(d_k + μ·buf_k).
    const { momentum: mu, lrs } = index.optimizer;
    let worst: Worst = { name: '', error: 0 };
    for (const name of io.params) {
      const w0 = tensor(`init/${name}`);
      const [s1, s2] = outputs as [Record<string, Float32Array>, Record<string, Float32Array>];
      const b1 = s1[updatedName(momentumName(name))]!;
      const b2 = s2[updatedName(momentumName(name))]!;
      const expect1 = w0.map((w, i) => w - lrs[0]! * (b1[i]! + mu * b1[i]!));
      const w1 = s1[updatedName(name)]!;
      const expect2 = w1.map((w, i) => w - lrs[1]! * (b2[i]! - mu * b1[i]! + mu * b2[i]!));
      for (const [ours, expected] of [[w1, expect1], [s2[updatedName(name)]!, expect2]] as const) {
        const error = relError(ours, expected, VALUE_FLOOR);
        if (error > worst.error) worst = { name, error };
      }
    }
    report.push(`SGD update vs its formula on our own buffers: ${fmt(worst)}`);
    assert.ok(worst.error <= 1e-6, `SGD update: ${fmt(worst)}`);
  });
});
