/**
 * Checks a GPU device against the CPU on the same graphs, for a machine that has one: one training step of a preset
 * from the same weights and batch on both (losses and every updated tensor compared), the inference graph's logits
 * and attention, then training and inference throughput on each, and the explanation graph's activations and
 * class-score gradients at every layer. Prints one JSON line per result.
 *
 * Usage: node out/device-check.cjs [--device webgpu|cuda] [--model tiny64|small96|resnet18|resnet50] [--steps N]
 *        [--cpu-threads N]
 * (`npm run build:device-check` bundles it; it needs only onnxruntime-node beside it). --device cpu checks the
 * script itself: the CPU with all threads against one thread.
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_BATCH, DEFAULT_LAMBDA } from '../src/trainer/bench/runBench';
import type { Batch } from '../src/trainer/data/loader';
import { syntheticBatch } from '../src/trainer/bench/synthetic';
import { activationName, buildExplanation, gradientName } from '../src/trainer/graphs/explain';
import { attentionName, buildInference } from '../src/trainer/graphs/inference';
import type { PresetName } from '../src/trainer/models/presets';
import { isPresetName, presetInfo } from '../src/trainer/models/presets';
import { initParams, paramSpecs } from '../src/trainer/models/params';
import { DeviceError } from '../src/trainer/onnx/device';
import type { Device } from '../src/trainer/onnx/deviceNames';
import { deviceList, isDevice } from '../src/trainer/onnx/deviceNames';
import type { EngineOptions } from '../src/trainer/onnx/session';
import { createSession, floatTensor, int64Tensor } from '../src/trainer/onnx/session';
import { ModelState } from '../src/trainer/train/modelState';
import { TrainStepper } from '../src/trainer/train/stepper';

const NUM_CLASSES = 7;
const LEARNING_RATE = 0.01;

/** Largest |a − b| over the largest |a|: one number per tensor that ignores where the values are near zero. */
function relativeDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}

function worst(pairs: Iterable<[string, number]>): { name: string; rel: number } {
  let out = { name: '', rel: -1 };
  // A NaN (a diverged tensor) is the worst and stays so.
  for (const [name, rel] of pairs) if (!Number.isNaN(out.rel) && !(rel <= out.rel)) out = { name, rel };
  return out;
}

async function trainStates(preset: PresetName, batch: Batch, engine: EngineOptions, steps: number): Promise<{ state: ModelState; losses: number[]; imgPerS: number }> {
  const info = presetInfo(preset);
  const specs = paramSpecs(preset, NUM_CLASSES);
  const state = ModelState.fromParams(specs, initParams(specs, 0));
  const stepper = await TrainStepper.create({ preset, numClasses: NUM_CLASSES, batch: DEFAULT_BATCH[preset], lambda: DEFAULT_LAMBDA, layers: [info.defaultLayer] }, engine);
  try {
    const losses = [(await stepper.step(batch, LEARNING_RATE, state)).loss];
    // Throughput on a copy of the state, so the compared state is the one after exactly one step.
    const timed = ModelState.fromParams(specs, state.params());
    await stepper.step(batch, LEARNING_RATE, timed);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) losses.push((await stepper.step(batch, LEARNING_RATE, timed)).loss);
    return { state, losses, imgPerS: (steps * DEFAULT_BATCH[preset]) / ((performance.now() - t0) / 1000) };
  } finally {
    await stepper.release();
  }
}

async function inference(preset: PresetName, batch: Batch, engine: EngineOptions, steps: number): Promise<{ outputs: Map<string, Float32Array>; imgPerS: number }> {
  const info = presetInfo(preset);
  const { model } = buildInference({ preset, numClasses: NUM_CLASSES, batch: DEFAULT_BATCH[preset] }, initParams(paramSpecs(preset, NUM_CLASSES), 0));
  const session = await createSession(model, engine);
  try {
    const s = info.inputSize;
    const feeds = { image: floatTensor(batch.image, [DEFAULT_BATCH[preset], 3, s, s]) };
    const names = ['logits', attentionName(info.defaultLayer)];
    const result = await session.run(feeds, names);
    await session.run(feeds, names);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await session.run(feeds, names);
    const imgPerS = (steps * DEFAULT_BATCH[preset]) / ((performance.now() - t0) / 1000);
    return { outputs: new Map(names.map((n) => [n, result[n]!.data as Float32Array])), imgPerS };
  } finally {
    await session.release();
  }
}

type Print = (o: object) => void;

async function compareTraining(preset: PresetName, batch: Batch, cpu: EngineOptions, gpu: EngineOptions, steps: number, print: Print): Promise<void> {
  const info = presetInfo(preset);
  const [onCpu, onGpu] = [await trainStates(preset, batch, cpu, steps), await trainStates(preset, batch, gpu, steps)];
  const initial = initParams(paramSpecs(preset, NUM_CLASSES), 0);
  const cpuModel = onCpu.state.params();
  const gpuModel = onGpu.state.params();
  const weights = worst([...cpuModel].map(([name, a]) => [name, relativeDiff(a, gpuModel.get(name)!)]));
  // The same difference measured against the step's own change of each tensor, the stricter yardstick.
  const updates = worst([...cpuModel].map(([name, a]) => {
    const w0 = initial.get(name)!;
    return [name, relativeDiff(a.map((v, i) => v - w0[i]!), gpuModel.get(name)!.map((v, i) => v - w0[i]!))];
  }));
  // Whether the two updated models behave alike: the next step's loss from each, both on the CPU.
  const nextLoss = async (state: ModelState): Promise<number> => {
    const stepper = await TrainStepper.create({ preset, numClasses: NUM_CLASSES, batch: DEFAULT_BATCH[preset], lambda: DEFAULT_LAMBDA, layers: [info.defaultLayer] }, cpu);
    try {
      return (await stepper.step(batch, LEARNING_RATE, state)).loss;
    } finally {
      await stepper.release();
    }
  };
  const [nextFromCpu, nextFromGpu] = [await nextLoss(onCpu.state), await nextLoss(onGpu.state)];
  print({
    check: 'one training step from the same weights and batch',
    loss_cpu: onCpu.losses[0], loss_gpu: onGpu.losses[0], loss_rel: Math.abs(onCpu.losses[0]! - onGpu.losses[0]!) / Math.abs(onCpu.losses[0]!),
    worst_tensor: weights.name, worst_tensor_rel: weights.rel, worst_update: updates.name, worst_update_rel: updates.rel,
    next_loss_from_cpu_step: nextFromCpu, next_loss_from_gpu_step: nextFromGpu, next_loss_rel: Math.abs(nextFromCpu - nextFromGpu) / Math.abs(nextFromCpu),
    losses_finite_gpu: onGpu.losses.every(Number.isFinite),
  });
  print({ check: 'training throughput', batch: DEFAULT_BATCH[preset], steps, img_s_cpu: onCpu.imgPerS, cpu_threads: cpu.threads, img_s_gpu: onGpu.imgPerS });
}

/** The explanation graph (every layer's activations and class-score gradients, what the CAMs weigh). */
async function explanation(preset: PresetName, batch: Batch, engine: EngineOptions): Promise<Map<string, Float32Array>> {
  const info = presetInfo(preset);
  const n = DEFAULT_BATCH[preset];
  const { model } = buildExplanation({ preset, numClasses: NUM_CLASSES, batch: n, layers: info.layers }, initParams(paramSpecs(preset, NUM_CLASSES), 0));
  const session = await createSession(model, engine);
  try {
    const s = info.inputSize;
    const names = info.layers.flatMap((l) => [activationName(l), gradientName(l)]);
    const result = await session.run({ image: floatTensor(batch.image, [n, 3, s, s]), target: int64Tensor(batch.labels, [n]) }, names);
    return new Map(names.map((name) => [name, result[name]!.data as Float32Array]));
  } finally {
    await session.release();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { device: { type: 'string', default: 'webgpu' }, model: { type: 'string', default: 'tiny64' }, steps: { type: 'string', default: '10' }, 'cpu-threads': { type: 'string' } } });
  if (!isDevice(values.device)) throw new Error(`--device must be ${deviceList()}, got "${values.device}"`);
  const device: Device = values.device;
  if (!isPresetName(values.model)) throw new Error(`--model must be a preset, got "${values.model}"`);
  const preset = values.model;
  const info = presetInfo(preset);
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a whole number ≥ 1, got "${values.steps}"`);
  const cpu: EngineOptions = { provider: 'cpu', threads: Number(values['cpu-threads'] ?? os.availableParallelism()) };
  const gpu: EngineOptions = device === 'cpu' ? { provider: 'cpu', threads: 1 } : { provider: device };
  const batch = syntheticBatch(DEFAULT_BATCH[preset], info.inputSize, NUM_CLASSES, 1);
  const print: Print = (o) => console.log(JSON.stringify({ device, model: preset, ...o }));

  try {
    await compareTraining(preset, batch, cpu, gpu, steps, print);
  } catch (err) {
    // A model the device cannot train (DeviceError) still gets its inference checked.
    if (!(err instanceof DeviceError)) throw err;
    print({ check: 'training', skipped: err.message });
  }

  const [inferCpu, inferGpu] = [await inference(preset, batch, cpu, steps), await inference(preset, batch, gpu, steps)];
  print({
    check: 'inference: logits and attention',
    ...Object.fromEntries([...inferCpu.outputs].map(([name, a]) => [`${name}_rel`, relativeDiff(a, inferGpu.outputs.get(name)!)])),
    img_s_cpu: inferCpu.imgPerS, img_s_gpu: inferGpu.imgPerS,
  });

  const [explainCpu, explainGpu] = [await explanation(preset, batch, cpu), await explanation(preset, batch, gpu)];
  const worstMap = worst([...explainCpu].map(([name, a]) => [name, relativeDiff(a, explainGpu.get(name)!)]));
  print({ check: 'explanation: every layer\'s activations and class-score gradients', worst: worstMap.name, worst_rel: worstMap.rel });
}

main().catch((err: unknown) => {
  console.error(`device-check: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
