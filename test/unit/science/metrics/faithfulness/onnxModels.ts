/**
 * Faithfulness test models built with the project's graph builder and run on ONNX Runtime, as the engine will run
 * real models: a `Classifier` over an ORT session with a static batch, padding a short last batch.
 */
import { softmax } from '../../../../../src/trainer/onnx/classScores';
import { Graph } from '../../../../../src/trainer/onnx/graph';
import { conv, gemm, reshape, unary } from '../../../../../src/trainer/onnx/ops';
import { toModelBytes } from '../../../../../src/trainer/onnx/serialize';
import { createSession, floatTensor } from '../../../../../src/trainer/onnx/session';
import type { Classifier } from '../../../../../src/trainer/science/metrics/faithfulness/classifier';
import type { LinearModel } from './models';

export interface OnnxClassifier extends Classifier {
  release(): Promise<void>;
}

/** A classifier over a graph with input `image` [batch, channels, size, size] and output `probabilities`. */
export async function onnxClassifier(model: Uint8Array, labels: readonly string[], channels: number, size: number, batch: number): Promise<OnnxClassifier> {
  const session = await createSession(model);
  const inputs = channels * size * size;
  return {
    labels, channels, width: size, height: size, batchSize: batch,
    probabilities: async (images) => {
      const data = new Float32Array(batch * inputs);
      images.forEach((x, i) => data.set(x, i * inputs));
      const out = await session.run({ image: floatTensor(data, [batch, channels, size, size]) });
      return (out['probabilities']!.data as Float32Array).subarray(0, images.length * labels.length);
    },
    release: () => session.release(),
  };
}

/** softmax(W·flatten(x) + b) as one Gemm, the graph of models.ts's LinearModel. */
export function linearGraph(model: LinearModel, batch: number): Uint8Array {
  const { channels, size, labels, weights, bias } = model;
  const g = new Graph('faithfulness_linear');
  const x = g.input('image', 'float32', [batch, channels, size, size]);
  const flat = reshape(g, x, [batch, channels * size * size]);
  const logits = gemm(g, flat, g.constant(weights, [labels.length, channels * size * size]), g.constant(bias, [labels.length]), { transB: true });
  g.output(softmax(g, logits), 'probabilities');
  return toModelBytes(g);
}

/** The ROAD fixture's torch model: Conv2d(3, 4, 5, stride 4, padding 2) → ReLU → flatten → Linear(·, classes). */
export interface TinyConvWeights {
  readonly convWeight: Float32Array;
  readonly convBias: Float32Array;
  readonly fcWeight: Float32Array;
  readonly fcBias: Float32Array;
}

export function tinyConvGraph(w: TinyConvWeights, size: number, classes: number, batch: number): Uint8Array {
  const g = new Graph('faithfulness_tiny_conv');
  const x = g.input('image', 'float32', [batch, 3, size, size]);
  const y = unary(g, 'Relu', conv(g, x, g.constant(w.convWeight, [4, 3, 5, 5]), g.constant(w.convBias, [4]), { strides: [4, 4], pads: [2, 2, 2, 2] }));
  const features = y.shape[1]! * y.shape[2]! * y.shape[3]!;
  const logits = gemm(g, reshape(g, y, [batch, features]), g.constant(w.fcWeight, [classes, features]), g.constant(w.fcBias, [classes]), { transB: true });
  g.output(softmax(g, logits), 'probabilities');
  return toModelBytes(g);
}
