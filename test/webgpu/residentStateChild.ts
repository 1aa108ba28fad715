/**
 * Run by residentState.test.ts in a process with SwiftShader's environment: tiny64's training state kept in GPU
 * memory through a good step, a diverging one and an evaluation, then brought home; prints what it saw as JSON.
 */
import { syntheticBatch } from '../../src/trainer/bench/synthetic';
import { ModelRunner } from '../../src/trainer/eval/modelRunner';
import { initParams, paramSpecs } from '../../src/trainer/models/params';
import { presetInfo } from '../../src/trainer/models/presets';
import { ModelState } from '../../src/trainer/train/modelState';
import { TrainStepper } from '../../src/trainer/train/stepper';

const PRESET = 'tiny64';
const CLASSES = 7;
const N = 2;

const same = (a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): boolean =>
  [...a].every(([name, x]) => x.length === b.get(name)!.length && x.every((v, i) => Object.is(v, b.get(name)![i])));

async function main(): Promise<void> {
  const info = presetInfo(PRESET);
  const specs = paramSpecs(PRESET, CLASSES);
  const engine = { provider: 'webgpu' as const };
  const state = ModelState.fromParams(specs, initParams(specs, 0));
  const stepper = await TrainStepper.create({ preset: PRESET, numClasses: CLASSES, batch: N, lambda: 4, layers: [info.defaultLayer] }, engine);
  const runner = await ModelRunner.create({ preset: PRESET, numClasses: CLASSES, batch: N }, engine);
  const batch = syntheticBatch(N, info.inputSize, CLASSES, 1);
  const report: Record<string, unknown> = {};
  try {
    report['goodLoss'] = (await stepper.step(batch, 0.01, state)).loss;
    report['residentAfterStep'] = state.onDevice;
    await state.toHost();
    const good = state.params();

    // NaN AU maps make the alignment term, and so the loss, NaN (a NaN image need not: a GPU's max() in ReLU drops NaNs).
    const poisoned = { ...batch, auMaps: batch.auMaps.map(() => Number.NaN), auValid: batch.auValid.map(() => 1) };
    report['divergedLoss'] = String((await stepper.step(poisoned, 0.01, state)).loss);
    await state.toHost();
    report['keptLastGoodWeights'] = same(state.params(), good);

    // Validation takes the resident weights as they are; the same weights from the host are uploaded once.
    const fromDevice = (await runner.run(batch, state.model))['logits']!.data as Float32Array;
    const host = ModelState.fromParams(specs, good);
    const fromHost = (await runner.run(batch, host.model))['logits']!.data as Float32Array;
    const again = (await runner.run(batch, host.model))['logits']!.data as Float32Array;
    report['validationSameFromDeviceAndHost'] = same(new Map([['l', fromDevice]]), new Map([['l', fromHost]])) && same(new Map([['l', again]]), new Map([['l', fromHost]]));
  } finally {
    await runner.release();
    await stepper.release();
  }
  report['homeAfterRelease'] = !state.onDevice && [...state.model.values()].every((t) => t.location === 'cpu');
  report['finiteAfterRelease'] = state.firstNonFinite() === undefined;
  console.log(JSON.stringify(report));
}

void main();
