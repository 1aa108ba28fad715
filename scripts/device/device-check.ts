/**
 * Checks a GPU device against the CPU on the same graphs (each built for its device), for a machine that has one:
 * two training steps of a preset from the same weights on both, losses and every updated tensor compared after
 * each (on WebGPU the state stays in GPU memory between the steps), the inference graph's logits and attention,
 * training and inference throughput on each, and the explanation graph's activations and class-score gradients at
 * every layer. Prints one JSON line per result.
 *
 * Usage: node out/device-check.cjs [--device webgpu|cuda] [--model tiny64|small96|resnet18|resnet50] [--steps N]
 *        [--batch N] [--checks train,infer,explain] [--size N] [--cpu-threads N]
 * (`npm run build:device-check` bundles it; it needs only onnxruntime-node beside it). --steps 0 times nothing;
 * --batch defaults to the bench's; --size (training only) sets another input side for a ResNet. --device cpu
 * checks the script itself: the CPU with all threads against one. test/webgpu runs it on SwiftShader (WebGPU
 * without a GPU) at a small batch, and resnet18 at a small size.
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
import { describeDevice } from '../../src/trainer/onnx/deviceInfo';
import type { Device } from '../../src/trainer/onnx/deviceNames';
import { deviceList, isDevice } from '../../src/trainer/onnx/deviceNames';
import type { EngineOptions } from '../../src/trainer/onnx/session';
import { createSession, engineDevice, floatTensor, int64Tensor } from '../../src/trainer/onnx/session';
import { ModelState } from '../../src/trainer/train/modelState';
import { TrainStepper } from '../../src/trainer/train/stepper';

const LEARNING_RATE = 0.01;
const CHECKS = ['train', 'infer', 'explain'] as const;

/** What every check of one preset shares: its batch, its initial weights (made once) and its training-step config. */
interface Setup {
  readonly preset: PresetName;
  readonly info: PresetInfo;
  readonly n: number;
  readonly batch: Batch;
  /** The second training step's batch. */
  readonly nextBatch: Batch;
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

/** The model after each of two steps (on two batches), and whether the state stayed in GPU memory between them. */
interface TwoSteps {
  readonly losses: readonly [number, number];
  readonly afterOne: ParamStore;
  readonly afterTwo: ParamStore;
  readonly resident: boolean;
}

async function twoSteps(c: Setup, engine: EngineOptions): Promise<TwoSteps> {
  const state = ModelState.fromParams(c.specs, c.initial);
  const stepper = await TrainStepper.create(c.stepConfig, engine);
  try {
    const first = (await stepper.step(c.batch, LEARNING_RATE, state)).loss;
    // Reading the state copies it to the host; it stays on the device for the next step.
    await state.toHost();
    const afterOne = state.params();
    const resident = state.onDevice;
    const second = (await stepper.step(c.nextBatch, LEARNING_RATE, state)).loss;
    await state.toHost();
    return { losses: [first, second], afterOne, afterTwo: state.params(), resident };
  } finally {
    await stepper.release();
  }
}

async function trainingThroughput(c: Setup, engine: EngineOptions): Promise<number> {
  const state = ModelState.fromParams(c.specs, c.initial);
  const stepper = await TrainStepper.create(c.stepConfig, engine);
  try {
    await stepper.step(c.batch, LEARNING_RATE, state);
    const t0 = performance.now();
    for (let i = 0; i < c.steps; i++) await stepper.step(c.batch, LEARNING_RATE, state);
    return (c.steps * c.n) / ((performance.now() - t0) / 1000);
  } finally {
    await stepper.release();
  }
}

async function inference(c: Setup, engine: EngineOptions): Promise<{ outputs: Map<string, Float32Array>; imgPerS: number | undefined }> {
  const { model } = buildInference({ preset: c.preset, numClasses: NUM_CLASSES, batch: c.n, device: engineDevice(engine) }, c.initial);
  const session = await createSession(model, engine);
  try {
    const s = c.info.inputSize;
    const feeds = { image: floatTensor(c.batch.image, [c.n, 3, s, s]) };
    const names = ['logits', attentionName(c.info.defaultLayer)];
    const result = await session.run(feeds, names);
    let imgPerS: number | undefined;
    if (c.steps > 0) {
      await session.run(feeds, names);
      const t0 = performance.now();
      for (let i = 0; i < c.steps; i++) await session.run(feeds, names);
      imgPerS = (c.steps * c.n) / ((performance.now() - t0) / 1000);
    }
    return { outputs: new Map(names.map((n) => [n, result[n]!.data as Float32Array])), imgPerS };
  } finally {
    await session.release();
  }
}

/**
 * Both models against the initial weights: the largest difference of any tensor, relative to that tensor's size
 * and, stricter, to its own change since `initial`.
 */
type Worst = ReturnType<typeof worst>;

function compareModels(cpu: ParamStore, gpu: ParamStore, initial: ParamStore): { weights: Worst; updates: Worst } {
  return {
    weights: worst([...cpu].map(([name, a]) => [name, relativeDiff(a, gpu.get(name)!)])),
    updates: worst([...cpu].map(([name, a]) => {
      const w0 = initial.get(name)!;
      return [name, relativeDiff(a.map((v, i) => v - w0[i]!), gpu.get(name)!.map((v, i) => v - w0[i]!))];
    })),
  };
}

async function compareTraining(c: Setup, cpu: EngineOptions, gpu: EngineOptions, print: Print): Promise<void> {
  // The device first: a graph it refuses (DeviceError) then costs no CPU steps.
  const onGpu = await twoSteps(c, gpu);
  const onCpu = await twoSteps(c, cpu);
  const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(a);
  const one = compareModels(onCpu.afterOne, onGpu.afterOne, c.initial);
  print({
    check: 'one training step from the same weights and batch',
    loss_cpu: onCpu.losses[0], loss_gpu: onGpu.losses[0], loss_rel: rel(onCpu.losses[0], onGpu.losses[0]),
    worst_tensor: one.weights.name, worst_tensor_rel: one.weights.rel, worst_update: one.updates.name, worst_update_rel: one.updates.rel,
  });
  const two = compareModels(onCpu.afterTwo, onGpu.afterTwo, c.initial);
  print({
    check: 'two training steps, the state kept on the device between them',
    state_resident_gpu: onGpu.resident, loss2_cpu: onCpu.losses[1], loss2_gpu: onGpu.losses[1], loss2_rel: rel(onCpu.losses[1], onGpu.losses[1]),
    worst_tensor: two.weights.name, worst_tensor_rel: two.weights.rel, worst_update: two.updates.name, worst_update_rel: two.updates.rel,
    losses_finite_gpu: onGpu.losses.every(Number.isFinite),
  });
  if (c.steps > 0) {
    const [imgPerSCpu, imgPerSGpu] = [await trainingThroughput(c, cpu), await trainingThroughput(c, gpu)];
    print({ check: 'training throughput', steps: c.steps, img_s_cpu: imgPerSCpu, cpu_threads: cpu.threads, img_s_gpu: imgPerSGpu });
  }
}

/** The explanation graph (every layer's activations and class-score gradients, what the CAMs weigh). */
async function explanation(c: Setup, engine: EngineOptions): Promise<Map<string, Float32Array>> {
  const { model } = buildExplanation({ preset: c.preset, numClasses: NUM_CLASSES, batch: c.n, layers: c.info.layers, device: engineDevice(engine) }, c.initial);
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
  const { values } = parseArgs({
    options: {
      device: { type: 'string', default: 'webgpu' }, model: { type: 'string', default: 'tiny64' }, steps: { type: 'string', default: '10' },
      batch: { type: 'string' }, checks: { type: 'string', default: CHECKS.join(',') }, size: { type: 'string' }, 'cpu-threads': { type: 'string' },
    },
  });
  if (!isDevice(values.device)) throw new Error(`--device must be ${deviceList()}, got "${values.device}"`);
  const device: Device = values.device;
  if (!isPresetName(values.model)) throw new Error(`--model must be a preset, got "${values.model}"`);
  const preset = values.model;
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`--steps must be a whole number ≥ 0, got "${values.steps}"`);
  const n = Number(values.batch ?? DEFAULT_BATCH[preset]);
  if (!Number.isInteger(n) || n < 2) throw new Error(`--batch must be a whole number ≥ 2 (train-mode BatchNorm), got "${values.batch}"`);
  const checks = values.checks.split(',');
  const unknown = checks.find((k) => !(CHECKS as readonly string[]).includes(k));
  if (unknown !== undefined) throw new Error(`--checks takes ${CHECKS.join(', ')}, got "${unknown}"`);
  const info = presetInfo(preset);
  const size = Number(values.size ?? info.inputSize);
  if (!Number.isInteger(size) || size < 32) throw new Error(`--size must be a whole number ≥ 32, got "${values.size}"`);
  if (size !== info.inputSize && checks.join() !== 'train') throw new Error('--size applies to the training check only: add --checks train');
  const cpu: EngineOptions = { provider: 'cpu', threads: Number(values['cpu-threads'] ?? os.availableParallelism()) };
  const gpu: EngineOptions = device === 'cpu' ? { provider: 'cpu', threads: 1 } : { provider: device };
  const specs = paramSpecs(preset, NUM_CLASSES);
  const setup: Setup = {
    preset, info, n, specs, steps,
    batch: syntheticBatch(n, size, NUM_CLASSES, 1),
    nextBatch: syntheticBatch(n, size, NUM_CLASSES, 2),
    initial: initParams(specs, 0),
    stepConfig: { preset, numClasses: NUM_CLASSES, batch: n, lambda: DEFAULT_LAMBDA, layers: [info.defaultLayer], inputSize: size },
  };
  const print: Print = (o) => console.log(JSON.stringify({ device, model: preset, batch: n, ...(size !== info.inputSize && { size }), ...o }));
  print({ check: 'devices', gpu: describeDevice(device).label, cpu: `${describeDevice('cpu').label}, ${cpu.threads} threads` });

  if (checks.includes('train')) {
    try {
      await compareTraining(setup, cpu, gpu, print);
    } catch (err) {
      // A model the device cannot train (DeviceError) still gets its inference checked.
      if (!(err instanceof DeviceError)) throw err;
      print({ check: 'training', skipped: err.message });
    }
  }

  if (checks.includes('infer')) {
    const [inferCpu, inferGpu] = [await inference(setup, cpu), await inference(setup, gpu)];
    print({
      check: 'inference: logits and attention',
      ...Object.fromEntries([...inferCpu.outputs].map(([name, a]) => [`${name}_rel`, relativeDiff(a, inferGpu.outputs.get(name)!)])),
      ...(steps > 0 && { img_s_cpu: inferCpu.imgPerS, img_s_gpu: inferGpu.imgPerS }),
    });
  }

  if (!checks.includes('explain')) return;
  const [explainCpu, explainGpu] = [await explanation(setup, cpu), await explanation(setup, gpu)];
  const worstMap = worst([...explainCpu].map(([name, a]) => [name, relativeDiff(a, explainGpu.get(name)!)]));
  print({ check: 'explanation: every layer\'s activations and class-score gradients', worst: worstMap.name, worst_rel: worstMap.rel });
}

main().catch((err: unknown) => {
  console.error(`device-check: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
