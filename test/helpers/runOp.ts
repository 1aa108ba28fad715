/** Runs one differentiable op on ONNX Runtime, for forward checks against plain-JS references. */
import type { DiffOp } from '../../src/trainer/autodiff/tape';
import { Tape } from '../../src/trainer/autodiff/tape';
import { Graph } from '../../src/trainer/onnx/graph';
import { toModelBytes } from '../../src/trainer/onnx/serialize';
import type { Device } from '../../src/trainer/onnx/deviceNames';
import type { EngineOptions } from '../../src/trainer/onnx/session';
import { createSession, tensorOf } from '../../src/trainer/onnx/session';

export interface OpInput {
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export interface OpResult {
  readonly outputs: Float32Array[];
  /** Gradients of Σ output 0 with respect to the inputs named in `gradWrt`, in that order. */
  readonly grads: Float32Array[];
}

/** `device` picks the op's form (built for that device), which runs on `engine` (default: the CPU). */
export async function runOp<P, S>(op: DiffOp<P, S>, inputs: readonly OpInput[], params: P, gradWrt: readonly number[] = [], device: Device = 'cpu', engine: EngineOptions = {}): Promise<OpResult> {
  const g = new Graph('run_op', device);
  const tape = new Tape(g);
  const ins = inputs.map((inp, i) => g.input(`in${i}`, inp.data instanceof BigInt64Array ? 'int64' : 'float32', inp.shape));
  const outs = tape.apply(op, ins, params);
  outs.forEach((o, i) => g.output(o, `out${i}`));
  const wrt = gradWrt.map((i) => ins[i]!);
  const grads = wrt.length > 0 ? tape.gradients(outs[0]!, wrt) : new Map();
  wrt.forEach((t, k) => g.output(grads.get(t.name)!, `grad${k}`));
  const session = await createSession(toModelBytes(g), engine);
  const result = await session.run(Object.fromEntries(ins.map((t, i) => [t.name, tensorOf(t.dtype, inputs[i]!.data, t.shape)])));
  await session.release();
  return {
    outputs: outs.map((_, i) => result[`out${i}`]!.data as Float32Array),
    grads: wrt.map((_, k) => result[`grad${k}`]!.data as Float32Array),
  };
}

/** Largest absolute difference between two arrays of one length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
