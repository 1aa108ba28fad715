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
import { DEFAULT_BATCH, DEFAULT_LAMBDA, NUM_CLASSES } from '../../src/trainer/bench/runBench';
import { syntheticBatch } from '../../src/trainer/bench/synthetic';
import type { Batch } from '../../src/trainer/data/loader';
import { activationName, buildExplanation, gradientName } from '../../src/trainer/graphs/explain';
import { attentionName, buildInference } from '../../src/trainer/graphs/inference';
import type { TrainStepConfig } from '../../src/trainer/graphs/trainStep';
import type { PresetInfo } from '../../src/trainer/models/modelInfo';
import type { PresetName } from '../../src/trainer/models/modelNames';
import { isPresetName } from '../../src/trainer/models/modelNames';
import { initParams, paramSpecs } from '../../src/trainer/models/params';
import { presetInfo } from '../../src/trainer/models/presets';
import type { ParamSpec, ParamStore } from '../../src/trainer/models/types';
import { DeviceError } from '../../src/trainer/onnx/device';
import type { Device } from '../../src/trainer/onnx/deviceNames';
import { deviceList, isDevice } from '../../src/trainer/onnx/deviceNames';
import type { EngineOptions } from '../../src/trainer/onnx/session';
import { createSession, floatTensor, int64Tensor } from '../../src/trainer/onnx/session';
import { ModelState } from '../../src/trainer/train/modelState';
import { TrainStepper } from '../../src/trainer/train/stepper';

const LEARNING_RATE = 0.01;

/** What every check of one preset shares: its batch, its initial weights (made once) and its training-step config. */
interface Setup {
  readonly preset: PresetName;
  readonly info: PresetInfo;
  readonly n: number;
  readonly batch: Batch;
  readonly specs: readonly ParamSpec[];
  readonly initial: ParamStore;
  readonly stepConfig: TrainStepConfig;
  readonly steps: number;
}

type Print = (o: object) => void;

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

async function trainStates(c: Setup, engine: EngineOptions): Promise<{ state: ModelState; losses: number[]; imgPerS: number }> {
  const state = ModelState.fromParams(c.specs, c.initial);
  const stepper = await TrainStepper.create(c.stepConfig, engine);
  try {
    const losses = [(await stepper.step(c.batch, LEARNING_RATE, state)).loss];
    // Throughput on a copy of the state, so the compared state is the one after exactly one step.
    const timed = ModelState.fromParams(c.specs, state.params());
    await stepper.step(c.batch, LEARNING_RATE, timed);
    const t0 = performance.now();
    for (let i = 0; i < c.steps; i++) losses.push((await stepper.step(c.batch, LEARNING_RATE, timed)).loss);
    return { state, losses, imgPerS: (c.steps * c.n) / ((performance.now() - t0) / 1000) };
  } finally {
    await stepper.release();
  }
}

async function inference(c: Setup, engine: EngineOptions): Promise<{ outputs: Map<string, Float32Array>; imgPerS: number }> {
  const { model } = buildInference({ preset: c.preset, numClasses: NUM_CLASSES, batch: c.n }, c.initial);
  const session = await createSession(model, engine);
  try {
    const s = c.info.inputSize;
    const feeds = { image: floatTensor(c.batch.image, [c.n, 3, s, s]) };
    const names = ['logits', attentionName(c.info.defaultLayer)];
    const result = await session.run(feeds, names);
    await session.run(feeds, names);
    const t0 = performance.now();
    for (let i = 0; i < c.steps; i++) await session.run(feeds, names);
    const imgPerS = (c.steps * c.n) / ((performance.now() - t0) / 1000);
    return { outputs: new Map(names.map((n) => [n, result[n]!.data as Float32Array])), imgPerS };
  } finally {
    await session.release();
  }
}

async function compareTraining(c: Setup, cpu: EngineOptions, gpu: EngineOptions, print: Print): Promise<void> {
  // The device first: a graph it refuses (DeviceError) then costs no CPU steps.
  const onGpu = await trainStates(c, gpu);
  const onCpu = await trainStates(c, cpu);
  const cpuModel = onCpu.state.params();
  const gpuModel = onGpu.state.params();
  const weights = worst([...cpuModel].map(([name, a]) => [name, relativeDiff(a, gpuModel.get(name)!)]));
  // The same difference measured against the step's own change of each tensor, the stricter yardstick.
  const updates = worst([...cpuModel].map(([name, a]) => {
    const w0 = c.initial.get(name)!;
    return [name, relativeDiff(a.map((v, i) => v - w0[i]!), gpuModel.get(name)!.map((v, i) => v - w0[i]!))];
  }));
  // Whether the two updated models behave alike: the next step's loss from each, both on the CPU.
  const stepper = await TrainStepper.create(c.stepConfig, cpu);
  let next: [number, number];
  try {
    next = [(await stepper.step(c.batch, LEARNING_RATE, onCpu.state)).loss, (await stepper.step(c.batch, LEARNING_RATE, onGpu.state)).loss];
  } finally {
    await stepper.release();
  }
  const [nextFromCpu, nextFromGpu] = next;
  print({
    check: 'one training step from the same weights and batch',
    loss_cpu: onCpu.losses[0], loss_gpu: onGpu.losses[0], loss_rel: Math.abs(onCpu.losses[0]! - onGpu.losses[0]!) / Math.abs(onCpu.losses[0]!),
    worst_tensor: weights.name, worst_tensor_rel: weights.rel, worst_update: updates.name, worst_update_rel: updates.rel,
    next_loss_from_cpu_step: nextFromCpu, next_loss_from_gpu_step: nextFromGpu, next_loss_rel: Math.abs(nextFromCpu - nextFromGpu) / Math.abs(nextFromCpu),
    losses_finite_gpu: onGpu.losses.every(Number.isFinite),
  });
  print({ check: 'training throughput', batch: c.n, steps: c.steps, img_s_cpu: onCpu.imgPerS, cpu_threads: cpu.threads, img_s_gpu: onGpu.imgPerS });
}

/** The explanation graph (every layer's activations and class-score gradients, what the CAMs weigh). */
async function explanation(c: Setup, engine: EngineOptions): Promise<Map<string, Float32Array>> {
  const { model } = buildExplanation({ preset: c.preset, numClasses: NUM_CLASSES, batch: c.n, layers: c.info.layers }, c.initial);
  const session = await createSession(model, engine);
  try {
    const s = c.info.inputSize;
    const names = c.info.layers.flatMap((l) => [activationName(l), gradientName(l)]);
    const result = await session.run({ image: floatTensor(c.batch.image, [c.n, 3, s, s]), target: int64Tensor(c.batch.labels, [c.n]) }, names);
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
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a whole number ≥ 1, got "${values.steps}"`);
  const cpu: EngineOptions = { provider: 'cpu', threads: Number(values['cpu-threads'] ?? os.availableParallelism()) };
  const gpu: EngineOptions = device === 'cpu' ? { provider: 'cpu', threads: 1 } : { provider: device };
  const info = presetInfo(preset);
  const n = DEFAULT_BATCH[preset];
  const specs = paramSpecs(preset, NUM_CLASSES);
  const setup: Setup = {
    preset, info, n, specs, steps,
    batch: syntheticBatch(n, info.inputSize, NUM_CLASSES, 1),
    initial: initParams(specs, 0),
    stepConfig: { preset, numClasses: NUM_CLASSES, batch: n, lambda: DEFAULT_LAMBDA, layers: [info.defaultLayer] },
  };
  const print: Print = (o) => console.log(JSON.stringify({ device, model: preset, ...o }));

  try {
    await compareTraining(setup, cpu, gpu, print);
  } catch (err) {
    // A model the device cannot train (DeviceError) still gets its inference checked.
    if (!(err instanceof DeviceError)) throw err;
    print({ check: 'training', skipped: err.message });
  }

  const [inferCpu, inferGpu] = [await inference(setup, cpu), await inference(setup, gpu)];
  print({
    check: 'inference: logits and attention',
    ...Object.fromEntries([...inferCpu.outputs].map(([name, a]) => [`${name}_rel`, relativeDiff(a, inferGpu.outputs.get(name)!)])),
    img_s_cpu: inferCpu.imgPerS, img_s_gpu: inferGpu.imgPerS,
  });

  const [explainCpu, explainGpu] = [await explanation(setup, cpu), await explanation(setup, gpu)];
  const worstMap = worst([...explainCpu].map(([name, a]) => [name, relativeDiff(a, explainGpu.get(name)!)]));
  print({ check: 'explanation: every layer\'s activations and class-score gradients', worst: worstMap.name, worst_rel: worstMap.rel });
}

main().catch((err: unknown) => {
  console.error(`device-check: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
