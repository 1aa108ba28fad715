/**
 * Runs the training-step graph: feeds a batch, the learning rate and the current state, and takes the updated
 * state from its outputs. On WebGPU the state stays in GPU memory from step to step: only the batch goes up and
 * the loss terms and logits come down; the state itself is read back when the run asks (ModelState.toHost).
 */
import type { Batch } from '../data/loader';
import type { TrainStepConfig, TrainStepIO } from '../graphs/trainStep';
import { buildTrainStep, momentumName, TRAIN_INPUTS, TRAIN_OUTPUTS, updatedName } from '../graphs/trainStep';
import { disposeOnDevice, TensorCopier } from '../onnx/deviceTensors';
import type { EngineOptions, ort } from '../onnx/session';
import { createSession, engineDevice, floatTensor, int64Tensor, residentTensors } from '../onnx/session';
import { presetInfo } from '../models/presets';
import { sampleWeights } from '../science/classWeights';
import type { HostReader, ModelState } from './modelState';

export interface StepResult {
  readonly loss: number;
  readonly ce: number;
  readonly align: number;
  readonly logits: Float32Array;
}

export class TrainStepper {
  /** States whose tensors this stepper's session put in GPU memory: they come home before it is released. */
  private readonly resident = new Set<ModelState>();

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: TrainStepConfig,
    /** Reads the state's tensors back from GPU memory; none where the device does not keep them there. */
    private readonly reader: TensorCopier | undefined,
  ) {}

  static async create(config: TrainStepConfig, engine: EngineOptions): Promise<TrainStepper> {
    const device = engineDevice(engine);
    const { model, io } = buildTrainStep({ ...config, device });
    if (!residentTensors(device)) return new TrainStepper(await createSession(model, engine), config, undefined);
    const session = await createSession(model, engine, { outputsOnDevice: io.state.map((s) => s.output) });
    try {
      return new TrainStepper(session, config, await TensorCopier.create(device, stateSpecs(io), 'toHost'));
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /**
   * One optimiser step. The state is updated only when the loss is finite, so a diverging step leaves the
   * last good weights in place (on a GPU its outputs, new buffers beside the old ones, are freed instead).
   */
  async step(batch: Batch, lr: number, state: ModelState): Promise<StepResult> {
    const { batch: n } = this.config;
    const s = this.config.inputSize ?? presetInfo(this.config.preset).inputSize;
    const feeds: Record<string, ort.Tensor> = {
      [TRAIN_INPUTS.image]: floatTensor(batch.image, [n, 3, s, s]),
      [TRAIN_INPUTS.labels]: int64Tensor(batch.labels, [n]),
      [TRAIN_INPUTS.auMaps]: floatTensor(batch.auMaps, [n, 1, s, s]),
      [TRAIN_INPUTS.auValid]: floatTensor(batch.auValid, [n]),
      [TRAIN_INPUTS.lr]: floatTensor(Float32Array.of(lr), []),
    };
    const { classWeights } = this.config;
    if (classWeights) feeds[TRAIN_INPUTS.ceWeights] = floatTensor(sampleWeights(batch.labels, classWeights), [n]);
    for (const [name, t] of state.model) feeds[name] = t;
    for (const [name, t] of state.momentum) feeds[momentumName(name)] = t;
    const out = await this.session.run(feeds);
    const scalar = (name: string): number => (out[name]!.data as Float32Array)[0]!;
    const result = {
      loss: scalar(TRAIN_OUTPUTS.loss),
      ce: scalar(TRAIN_OUTPUTS.ce),
      align: scalar(TRAIN_OUTPUTS.align),
      logits: out[TRAIN_OUTPUTS.logits]!.data as Float32Array,
    };
    const model = new Map([...state.model.keys()].map((name) => [name, out[updatedName(name)]!]));
    const momentum = new Map([...state.momentum.keys()].map((name) => [name, out[updatedName(momentumName(name))]!]));
    if (!Number.isFinite(result.loss)) {
      disposeOnDevice([...model.values(), ...momentum.values()]);
      return result;
    }
    state.adopt(model, momentum, this.reader && this.readHost);
    if (state.onDevice) this.resident.add(state);
    return result;
  }

  private readonly readHost: HostReader = async (model, momentum) => {
    const momentumByInput = [...momentum].map(([name, t]) => [momentumName(name), t] as const);
    const copies = await this.reader!.copy(new Map([...model, ...momentumByInput]));
    const data = (name: string): Float32Array => copies.get(name)!.data as Float32Array;
    return {
      model: new Map([...model.keys()].map((name) => [name, data(name)])),
      momentum: new Map([...momentum.keys()].map((name) => [name, data(momentumName(name))])),
    };
  };

  /** Brings every state it keeps in GPU memory to the host, then frees its sessions. */
  async release(): Promise<void> {
    try {
      for (const state of this.resident) await state.leaveDevice();
    } finally {
      this.resident.clear();
      await this.reader?.release();
      await this.session.release();
    }
  }
}

/** The state inputs of a training step (weights, momentum buffers, running statistics) and their shapes. */
function stateSpecs(io: TrainStepIO): { name: string; shape: readonly number[] }[] {
  const shapes = new Map(io.inputs.map((i) => [i.name, i.shape]));
  return io.state.map(({ input }) => ({ name: input, shape: shapes.get(input)! }));
}
