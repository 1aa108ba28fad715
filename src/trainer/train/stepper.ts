/**
 * Runs the training-step graph: feeds a batch, the learning rate and the current state, and takes the updated
 * state from its outputs.
 */
import type { Batch } from '../data/loader';
import type { TrainStepConfig } from '../graphs/trainStep';
import { buildTrainStep, momentumName, TRAIN_INPUTS, TRAIN_OUTPUTS, updatedName } from '../graphs/trainStep';
import type { EngineOptions, ort } from '../onnx/session';
import { createSession, engineDevice, floatTensor, int64Tensor } from '../onnx/session';
import { presetInfo } from '../models/presets';
import { sampleWeights } from '../science/classWeights';
import type { ModelState } from './modelState';

export interface StepResult {
  readonly loss: number;
  readonly ce: number;
  readonly align: number;
  readonly logits: Float32Array;
}

export class TrainStepper {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: TrainStepConfig,
  ) {}

  static async create(config: TrainStepConfig, engine: EngineOptions): Promise<TrainStepper> {
    const { model } = buildTrainStep({ ...config, device: engineDevice(engine) });
    return new TrainStepper(await createSession(model, engine), config);
  }

  /**
   * One optimiser step. The state is updated only when the loss is finite, so a diverging step leaves the
   * last good weights in place.
   */
  async step(batch: Batch, lr: number, state: ModelState): Promise<StepResult> {
    const { batch: n } = this.config;
    const s = presetInfo(this.config.preset).inputSize;
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
    if (!Number.isFinite(result.loss)) return result;
    for (const name of state.model.keys()) state.model.set(name, out[updatedName(name)]!);
    for (const name of state.momentum.keys()) state.momentum.set(name, out[updatedName(momentumName(name))]!);
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
