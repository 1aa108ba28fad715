/**
 * Reverse-mode differentiation over ONNX graphs. Model code applies differentiable ops through a Tape, which
 * emits their forward nodes and records them; `gradients` then walks the records backwards and emits each op's
 * backward nodes into the same graph. So a training step — forward, backward and update — is one ONNX graph.
 */
import type { Graph, Tensor } from '../onnx/graph';
import { sameShape } from '../onnx/graph';
import { add, expand } from '../onnx/ops';

/** What an op's backward sees of its forward call. */
export interface OpContext<P, S> {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly params: P;
  readonly saved: S;
}

/**
 * A differentiable op: `forward` emits its nodes and may save intermediate tensors for the backward;
 * `backward` receives the gradient of each output (undefined where no gradient flows) and returns the gradient
 * of each input (undefined where none is needed, or the input is not differentiable, e.g. labels).
 */
export interface DiffOp<P = void, S = void> {
  readonly name: string;
  forward(g: Graph, inputs: readonly Tensor[], params: P): { outputs: Tensor[]; saved: S };
  backward(
    g: Graph,
    ctx: OpContext<P, S>,
    outputGrads: readonly (Tensor | undefined)[],
    needed: readonly boolean[],
  ): (Tensor | undefined)[];
}

interface Record_ {
  readonly op: DiffOp<unknown, unknown>;
  readonly ctx: OpContext<unknown, unknown>;
}

export class Tape {
  private readonly records: Record_[] = [];

  constructor(readonly graph: Graph) {}

  apply<P, S>(op: DiffOp<P, S>, inputs: readonly Tensor[], params: P): Tensor[] {
    const { outputs, saved } = op.forward(this.graph, inputs, params);
    this.records.push({ op: op as DiffOp<unknown, unknown>, ctx: { inputs, outputs, params, saved } });
    return outputs;
  }

  /** Like apply, for ops with one output. */
  apply1<P, S>(op: DiffOp<P, S>, inputs: readonly Tensor[], params: P): Tensor {
    return this.apply(op, inputs, params)[0]!;
  }

  /**
   * Emits the gradients of `output` (seeded with `seed`, or ones) with respect to each tensor of `wrt`.
   * Only ops on a path from `wrt` to `output` get backward nodes.
   */
  gradients(output: Tensor, wrt: readonly Tensor[], seed?: Tensor): Map<string, Tensor> {
    return this.vectorJacobian([{ output, grad: seed ?? expand(this.graph, this.graph.scalar(1), output.shape) }], wrt);
  }

  /** Σ over seeds of ⟨seed.grad, ∂seed.output/∂w⟩ for each w of `wrt`: the general reverse pass. */
  vectorJacobian(seeds: readonly { output: Tensor; grad: Tensor }[], wrt: readonly Tensor[]): Map<string, Tensor> {
    const g = this.graph;
    // Forward sweep: which tensors depend on a `wrt` tensor.
    const dependent = new Set(wrt.map((t) => t.name));
    for (const r of this.records) {
      if (r.ctx.inputs.some((t) => dependent.has(t.name))) for (const o of r.ctx.outputs) dependent.add(o.name);
    }
    const grads = new Map<string, Tensor>();
    const accumulate = (t: Tensor, grad: Tensor): void => {
      if (!sameShape(grad.shape, t.shape)) {
        throw new Error(
          `gradient of "${t.name}" has shape [${grad.shape.join(', ')}], expected [${t.shape.join(', ')}]`,
        );
      }
      const prev = grads.get(t.name);
      grads.set(t.name, prev ? add(g, prev, grad) : grad);
    };
    for (const { output, grad } of seeds) {
      if (!dependent.has(output.name)) {
        throw new Error(`"${output.name}" does not depend on any tensor it is differentiated for`);
      }
      accumulate(output, grad);
    }

    for (let i = this.records.length - 1; i >= 0; i--) {
      const { op, ctx } = this.records[i]!;
      const outGrads = ctx.outputs.map((o) => grads.get(o.name));
      if (outGrads.every((gr) => gr === undefined)) continue;
      const needed = ctx.inputs.map((t) => dependent.has(t.name));
      if (!needed.some(Boolean)) continue;
      const inGrads = op.backward(g, ctx, outGrads, needed);
      ctx.inputs.forEach((t, j) => {
        const gr = inGrads[j];
        if (gr && needed[j]) accumulate(t, gr);
      });
    }
    const result = new Map<string, Tensor>();
    for (const t of wrt) {
      const gr = grads.get(t.name);
      if (gr) result.set(t.name, gr);
    }
    return result;
  }
}
