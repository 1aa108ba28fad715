/**
 * The types every model builder shares: parameter specs and stores (params.ts), and what a forward pass gives
 * back (forward.ts). A family's builder (resnet.ts, faceApiExpression.ts) imports them from here, never from the
 * dispatchers that call it.
 */
import type { Tensor } from '../onnx/graph';
import type { ModelName } from './modelNames';

/** 'conv_bias': the bias of a conv without BatchNorm (face-api's); the ResNets' convs have none. */
export type ParamRole =
  | 'conv' | 'conv_bias' | 'bn_weight' | 'bn_bias' | 'bn_running_mean' | 'bn_running_var' | 'fc_weight' | 'fc_bias';

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: ParamRole;
}

/** Weights and running statistics by name. */
export type ParamStore = Map<string, Float32Array>;

export interface ModelConfig {
  readonly preset: ModelName;
  readonly numClasses: number;
  /** Another input side than the preset's, to check a ResNet's graph cheaply on a slow device (SwiftShader). */
  readonly inputSize?: number;
}

export interface BatchStats {
  /** Name of the running-mean parameter this statistic updates. */
  readonly mean: string;
  /** Name of the running-variance parameter. */
  readonly variance: string;
  /** (C) batch mean. */
  readonly batchMean: Tensor;
  /** (C) unbiased batch variance (what PyTorch blends into running_var). */
  readonly batchVar: Tensor;
}

export interface Forward {
  /** (N, numClasses) */
  readonly logits: Tensor;
  /** Every attention-capable layer ('stem', 'stage1'…) → its post-ReLU output (N, C, H, W). */
  readonly stages: Map<string, Tensor>;
  /** Train mode only (empty in eval mode): one entry per BatchNorm, in state_dict order. */
  readonly bnStats: BatchStats[];
}
