/**
 * ONNX Runtime sessions. The CPU provider ships inside onnxruntime-node; CUDA is used only when the user's
 * installation carries it and asks for it.
 */
import * as ort from 'onnxruntime-node';
import type { DType } from './graph';

export interface EngineOptions {
  /** Intra-op threads (default: 1, which leaves a core for the UI and data loading). */
  readonly threads?: number;
  readonly provider?: 'cpu' | 'cuda';
}

export type Feeds = Record<string, ort.Tensor>;

export async function createSession(model: Uint8Array, options: EngineOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: options.provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
  });
}

export function floatTensor(data: Float32Array, shape: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, [...shape]);
}

export function int64Tensor(data: BigInt64Array | readonly number[], shape: readonly number[]): ort.Tensor {
  const values = data instanceof BigInt64Array ? data : BigInt64Array.from(data.map((v) => BigInt(v)));
  return new ort.Tensor('int64', values, [...shape]);
}

export function tensorOf(dtype: DType, data: Float32Array | BigInt64Array, shape: readonly number[]): ort.Tensor {
  return dtype === 'int64' ? int64Tensor(data as BigInt64Array, shape) : floatTensor(data as Float32Array, shape);
}

export { ort };
