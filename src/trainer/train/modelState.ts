/**
 * The tensors of a model under training, kept as ONNX Runtime tensors between steps: each step's `new.*`
 * outputs become the next step's inputs without a copy. A step on WebGPU leaves them in GPU memory; reading them
 * (checkpoints, the divergence check, the end of a run) first brings their values to the host with `toHost`.
 */
import { isTrainable } from '../models/params';
import type { ParamSpec, ParamStore } from '../models/types';
import { disposeOnDevice, isOnDevice } from '../onnx/deviceTensors';
import type { ort } from '../onnx/session';
import { floatTensor } from '../onnx/session';
import type { CheckpointTensor } from './checkpoint';

/** Host copies of the model tensors and momentum buffers, by name. */
export interface HostTensors {
  readonly model: ParamStore;
  readonly momentum: ReadonlyMap<string, Float32Array>;
}

/** Copies device-resident tensors to the host; the step that put them there supplies it. */
export type HostReader =
  (model: ReadonlyMap<string, ort.Tensor>, momentum: ReadonlyMap<string, ort.Tensor>) => Promise<HostTensors>;

export class ModelState {
  /** Set while the tensors live in GPU memory: how to read them, and their values once read since the last step. */
  private device: { readonly reader: HostReader; host?: HostTensors } | undefined;

  private constructor(
    readonly specs: readonly ParamSpec[],
    /** Parameters and running statistics, by state_dict name. */
    readonly model: Map<string, ort.Tensor>,
    /** Momentum buffers, by parameter name. */
    readonly momentum: Map<string, ort.Tensor>,
  ) {}

  /** From initial weights; momentum buffers start at zero (PyTorch's first step then sets buf = g). */
  static fromParams(
    specs: readonly ParamSpec[],
    params: ParamStore,
    momentum?: ReadonlyMap<string, Float32Array>,
  ): ModelState {
    const model = new Map<string, ort.Tensor>();
    const buffers = new Map<string, ort.Tensor>();
    for (const spec of specs) {
      const data = params.get(spec.name);
      if (!data) throw new Error(`missing weights for "${spec.name}"`);
      model.set(spec.name, floatTensor(data, spec.shape));
      if (isTrainable(spec)) {
        buffers.set(spec.name, floatTensor(momentum?.get(spec.name) ?? new Float32Array(data.length), spec.shape));
      }
    }
    return new ModelState(specs, model, buffers);
  }

  /** Whether the tensors are in GPU memory. */
  get onDevice(): boolean {
    return this.device !== undefined;
  }

  /**
   * Takes a step's updated tensors, every model tensor and momentum buffer by name. Replaced tensors in GPU
   * memory are freed; `reader` reads the new ones where they are there.
   */
  adopt(model: ReadonlyMap<string, ort.Tensor>, momentum: ReadonlyMap<string, ort.Tensor>, reader?: HostReader): void {
    const replaced = [...this.model.values(), ...this.momentum.values()];
    for (const [name, t] of model) this.model.set(name, t);
    for (const [name, t] of momentum) this.momentum.set(name, t);
    disposeOnDevice(replaced);
    const resident = [...this.model.values(), ...this.momentum.values()].some(isOnDevice);
    if (resident && !reader) throw new Error('a model state in GPU memory needs a reader');
    this.device = resident ? { reader: reader! } : undefined;
  }

  /** Reads the values of tensors in GPU memory, for params(), checkpointTensors() and firstNonFinite(). */
  async toHost(): Promise<void> {
    if (this.device && !this.device.host) this.device.host = await this.device.reader(this.model, this.momentum);
  }

  /** Brings the tensors to the host for good and frees their GPU memory (before the session that made them goes). */
  async leaveDevice(): Promise<void> {
    if (!this.device) return;
    try {
      await this.toHost();
    } finally {
      const host = this.device.host;
      disposeOnDevice([...this.model.values(), ...this.momentum.values()]);
      // A failed read leaves a state that says so when read (hostTensors), rather than freed tensors to read.
      if (host) {
        const shapes = new Map(this.specs.map((s) => [s.name, s.shape]));
        for (const [name, data] of host.model) this.model.set(name, floatTensor(data, shapes.get(name)!));
        for (const [name, data] of host.momentum) this.momentum.set(name, floatTensor(data, shapes.get(name)!));
        this.device = undefined;
      }
    }
  }

  private hostTensors(): HostTensors {
    if (!this.device) {
      const data = (m: Map<string, ort.Tensor>): Map<string, Float32Array> =>
        new Map([...m].map(([name, t]) => [name, t.data as Float32Array]));
      return { model: data(this.model), momentum: data(this.momentum) };
    }
    if (!this.device.host) {
      throw new Error('the model state is in GPU memory and has changed since it was last read: await toHost() first');
    }
    return this.device.host;
  }

  /** Plain arrays of the model tensors (for baked graphs and checkpoints). */
  params(): ParamStore {
    return new Map(this.hostTensors().model);
  }

  /** The first tensor holding a NaN or an infinity (a diverged update), or undefined when all are finite. */
  firstNonFinite(): string | undefined {
    const { model, momentum } = this.hostTensors();
    for (const [name, data] of model) if (!data.every(Number.isFinite)) return name;
    for (const [name, data] of momentum) if (!data.every(Number.isFinite)) return `momentum of ${name}`;
    return undefined;
  }

  checkpointTensors(): { model: CheckpointTensor[]; momentum: CheckpointTensor[] } {
    const byName = new Map(this.specs.map((s) => [s.name, s.shape]));
    const { model, momentum } = this.hostTensors();
    const toList = (m: ReadonlyMap<string, Float32Array>): CheckpointTensor[] =>
      [...m].map(([name, data]) => ({ name, shape: byName.get(name)!, data }));
    return { model: toList(model), momentum: toList(momentum) };
  }
}
