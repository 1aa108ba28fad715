/**
 * Tensors that stay in GPU memory between runs. A session created with `outputsOnDevice` returns those outputs as
 * 'gpu-buffer' tensors (ONNX Runtime's IO binding), which any session on the same device takes as inputs without a
 * copy. onnxruntime-node 1.30 cannot download such a tensor itself (its binding's `download` is "not implemented"
 * and `getData()` aborts the process), so moving tensors between the host and the GPU is a run of a copy graph,
 * one Identity per tensor, whose outputs lie where they should go. A gpu-buffer tensor holds GPU memory until it is
 * disposed: whoever replaces one disposes it, before the session that made it is released.
 */
import { Graph } from './graph';
import type { Device } from './deviceNames';
import { toModelBytes } from './serialize';
import type { ort } from './session';
import { createSession } from './session';

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export function isOnDevice(t: ort.Tensor): boolean {
  return t.location === 'gpu-buffer';
}

/** Frees the GPU memory of those tensors that have any; host tensors are left to the garbage collector. */
export function disposeOnDevice(tensors: Iterable<ort.Tensor>): void {
  for (const t of tensors) if (isOnDevice(t)) t.dispose();
}

/** Copies a fixed set of float32 tensors to the host ('toHost') or into GPU memory ('toDevice'). */
export class TensorCopier {
  private constructor(private readonly session: ort.InferenceSession, private readonly specs: readonly TensorSpec[]) {}

  static async create(
    device: Device,
    specs: readonly TensorSpec[],
    direction: 'toHost' | 'toDevice',
  ): Promise<TensorCopier> {
    const g = new Graph(`copy_${direction}`, device);
    for (const spec of specs) g.output(g.input(spec.name, 'float32', spec.shape), copyName(spec.name));
    const outputsOnDevice = direction === 'toDevice' ? specs.map((s) => copyName(s.name)) : [];
    return new TensorCopier(await createSession(toModelBytes(g, {}), { provider: device }, { outputsOnDevice }), specs);
  }

  /** The copies, by name; `tensors` must hold every tensor of the specs. */
  async copy(tensors: ReadonlyMap<string, ort.Tensor>): Promise<Map<string, ort.Tensor>> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const { name } of this.specs) {
      const t = tensors.get(name);
      if (!t) throw new Error(`no tensor "${name}" to copy`);
      feeds[name] = t;
    }
    const out = await this.session.run(feeds);
    return new Map(this.specs.map(({ name }) => [name, out[copyName(name)]!]));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

const copyName = (name: string): string => `copy.${name}`;
