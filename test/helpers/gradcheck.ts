/**
 * Finite-difference gradient checks for differentiable ops, run on ONNX Runtime itself: the op's analytic
 * gradient of L = Σ(y · R) (R random) is compared with a central difference along a random direction, so the
 * check is one scalar per input and stays robust in float32.
 */
import assert from 'node:assert/strict';
import type { DiffOp } from '../../src/trainer/autodiff/tape';
import type { Device } from '../../src/trainer/onnx/deviceNames';
import { Tape } from '../../src/trainer/autodiff/tape';
import type { Tensor } from '../../src/trainer/onnx/graph';
import { Graph, numel } from '../../src/trainer/onnx/graph';
import { mul, reduceSum } from '../../src/trainer/onnx/ops';
import { toModelBytes } from '../../src/trainer/onnx/serialize';
import { createSession, tensorOf } from '../../src/trainer/onnx/session';

export interface GradInput {
  readonly shape: readonly number[];
  /** Values; random normal when omitted. int64 inputs (labels) are never differentiated. */
  readonly data?: Float32Array | BigInt64Array;
  /** Not differentiated (labels, masks, targets). */
  readonly constant?: boolean;
}

/** Deterministic pseudo-random normals, so a failing check is reproducible. */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return out;
}

/** L = Σ_i Σ(y_i · R_i), whose gradient with respect to y_i is R_i. */
function scalarLoss(g: Graph, outputs: readonly Tensor[], weights: readonly Tensor[]): Tensor {
  const terms = outputs.map((o, i) => reduceSum(g, mul(g, o, weights[i]!), o.shape.map((_, k) => k), false));
  return terms.slice(1).reduce((a, b) => g.node('Add', [a, b], [{ dtype: 'float32', shape: [] }])[0]!, terms[0]!);
}

export interface GradCheckOptions {
  readonly eps?: number;
  readonly tol?: number;
  readonly outputsToCheck?: number;
  readonly seed?: number;
  /** The device whose op forms the graph is built with (it runs on the CPU). */
  readonly device?: Device;
}

/**
 * Checks every non-constant float input of `op`. `outputsToCheck` limits which outputs enter the loss (e.g. only
 * the first output of an op whose others are statistics). Returns the relative errors, for reporting.
 */
export async function gradCheck<P, S>(
  op: DiffOp<P, S>, inputs: readonly GradInput[], params: P, opts: GradCheckOptions = {},
): Promise<number[]> {
  return gradCheckFn(op.name, (tape, ins) => tape.apply(op, ins, params), inputs, opts);
}

/** gradCheck of a composition of ops (self-attention): `build` applies them on the tape and returns the outputs. */
export async function gradCheckFn(
  name: string, build: (tape: Tape, inputs: Tensor[]) => Tensor[], inputs: readonly GradInput[],
  opts: GradCheckOptions = {},
): Promise<number[]> {
  const eps = opts.eps ?? 1e-2;
  const tol = opts.tol ?? 2e-2;
  const seed = opts.seed ?? 7;
  const values = inputs.map((inp, i) => inp.data ?? randn(numel(inp.shape), seed + 13 * i));

  // Graph 1: forward loss and analytic gradients.
  // Built for opts.device (the op's form for that device), run on the CPU.
  const g = new Graph('gradcheck', opts.device);
  const tape = new Tape(g);
  const ins = inputs.map((inp, i) => g.input(`in${i}`, values[i] instanceof BigInt64Array ? 'int64' : 'float32', inp.shape));
  const outs = build(tape, ins).slice(0, opts.outputsToCheck);
  const rs = outs.map((o, i) => g.constant(randn(numel(o.shape), seed + 101 + i), o.shape));
  const loss = scalarLoss(g, outs, rs);
  g.output(loss, 'loss');
  const diff = ins.filter((_, i) => !inputs[i]!.constant && !(values[i] instanceof BigInt64Array));
  const grads = tape.vectorJacobian(outs.map((o, k) => ({ output: o, grad: rs[k]! })), diff);
  diff.forEach((t) => g.output(grads.get(t.name)!, `grad_${t.name}`));
  const session = await createSession(toModelBytes(g));
  const feeds = (vals: readonly (Float32Array | BigInt64Array)[]): Record<string, ReturnType<typeof tensorOf>> =>
    Object.fromEntries(ins.map((t, i) => [t.name, tensorOf(t.dtype, vals[i]!, t.shape)]));
  const base = await session.run(feeds(values));

  const errors: number[] = [];
  for (const t of diff) {
    const i = ins.indexOf(t);
    const v = randn(numel(t.shape), seed + 997 + i);
    const grad = base[`grad_${t.name}`]!.data as Float32Array;
    let analytic = 0;
    for (let k = 0; k < v.length; k++) analytic += grad[k]! * v[k]!;
    const shifted = (sign: number): Float32Array => {
      const x = Float32Array.from(values[i] as Float32Array);
      for (let k = 0; k < x.length; k++) x[k]! += sign * eps * v[k]!;
      return x;
    };
    const lossAt = async (x: Float32Array): Promise<number> => {
      const vals = values.map((val, j) => (j === i ? x : val));
      return ((await session.run(feeds(vals)))['loss']!.data as Float32Array)[0]!;
    };
    const numeric = ((await lossAt(shifted(1))) - (await lossAt(shifted(-1)))) / (2 * eps);
    const rel = Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(analytic), Math.abs(numeric));
    errors.push(rel);
    assert.ok(rel < tol, `${name}: gradient of input ${i} [${t.shape}]: analytic ${analytic}, numeric ${numeric} (relative error ${rel.toExponential(2)})`);
  }
  await session.release();
  return errors;
}
