/**
 * The types every model builder shares: parameter specs and stores (params.ts), and what a forward pass gives
 * back (forward.ts), with stagesOf for a family whose layers are plain outputs. A family's builder (resnet.ts,
 * faceApiExpression.ts, vit.ts) imports them from here, never from the dispatchers that call it.
 */
import type { Tensor } from '../onnx/graph';
import type { ModelName } from './modelNames';

/**
 * What a tensor is to the optimiser and the head logic. 'conv_bias': the bias of a conv without BatchNorm (face-api's,
 * a ViT's patch embedding); the ResNets' convs have none. 'embedding': a ViT's class token and positional embedding.
 */
export type ParamRole =
  | 'conv' | 'conv_bias' | 'bn_weight' | 'bn_bias' | 'bn_running_mean' | 'bn_running_var' | 'fc_weight' | 'fc_bias'
  | 'embedding' | 'ln_weight' | 'ln_bias' | 'linear_weight' | 'linear_bias';

/** How a tensor's initial values are drawn (params.ts initParams), decided by its family's builder. */
export type ParamInit =
  | { readonly kind: 'normal'; readonly std: number }
  /** A normal redrawn outside ±bound (timm's trunc_normal_ truncates at absolute values). */
  | { readonly kind: 'truncNormal'; readonly std: number; readonly bound: number }
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'ones' }
  | { readonly kind: 'zeros' };

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: ParamRole;
  readonly init: ParamInit;
  /**
   * False for what timm's optimiser groups exempt from weight decay in a ViT (its `no_weight_decay()` tensors and
   * every 1-D tensor); absent means decayed, as the peer's SGD decays every CNN parameter.
   */
  readonly decay?: false;
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
  /** Every attention-capable layer, in network order (presetInfo(preset).layers). */
  readonly layers: readonly string[];
  /**
   * A layer's output in the (N, C, H, W) layout of a CNN stage, whose channel mean is its attention map. A ViT
   * emits it on first request: ONNX Runtime keeps nodes whose outputs nothing reads.
   */
  stage(layer: string): Tensor;
  /** Train mode only (empty in eval mode): one entry per BatchNorm, in state_dict order. */
  readonly bnStats: BatchStats[];
  /** Transformers: each block's attention softmax (N, heads, T, T) (attention rollout); empty for CNNs. */
  readonly attention: ReadonlyMap<string, Tensor>;
  /**
   * For a layer built beside the network rather than on its path (a ViT's token grid is a reordered copy of the
   * residual stream): the on-path tensor it views, and the view. The view only selects and reorders values, so it
   * maps that tensor's gradient to the layer's. Absent, or undefined for a layer: the layer is on the path.
   */
  gradientSource?(layer: string): GradientSource | undefined;
}

export interface GradientSource {
  readonly tensor: Tensor;
  view(t: Tensor): Tensor;
}

/** The Forward fields of a model whose layers are all built anyway (the CNNs), from their outputs by name. */
export function stagesOf(stages: ReadonlyMap<string, Tensor>): Pick<Forward, 'layers' | 'stage' | 'attention'> {
  return {
    layers: [...stages.keys()],
    stage: (layer) => {
      const t = stages.get(layer);
      if (!t) throw new RangeError(`the model has no layer "${layer}"; its layers: ${[...stages.keys()].join(', ')}`);
      return t;
    },
    attention: new Map(),
  };
}
