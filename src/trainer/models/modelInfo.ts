/**
 * What a model tells about itself without building anything: its input size and normalisation, the layers that
 * can serve as attention and their shapes, how a face is cropped for it. Every model family (presets.ts) answers
 * with a PresetInfo, so the editor, the CLI's checks and the data pipeline need no graph builder to ask.
 */
import type { FaceCrop } from '../science/faceFrame';

/** Per-channel (R, G, B) statistics the input is normalised with; checkpoints store them. */
export interface Normalisation {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** torchvision's ImageNet statistics, as the reference uses for ImageNet-initialised encoders. */
export const IMAGENET_NORMALISATION: Normalisation = Object.freeze({
  mean: Object.freeze([0.485, 0.456, 0.406] as const),
  std: Object.freeze([0.229, 0.224, 0.225] as const),
});

export interface PresetInfo {
  readonly inputSize: number;
  /**
   * Every tensor that can serve as the attention layer, in network order: 'stem' (after the stem's ReLU for
   * tiny64/small96; after the max-pool for the torchvision nets, i.e. the input of layer1), then 'stage1'…'stageK'
   * (the output of the stage's last block, after its final ReLU, as the peer's `feat`).
   */
  readonly layers: readonly string[];
  /** The last stage, the paper's choice. */
  readonly defaultLayer: string;
  /**
   * Where an evaluation may take the CAMs when a run aligned another layer (absent: every layer). A ViT's last
   * block gets no class-score gradient at its patches, and its class-token rows and rollout are no features.
   */
  readonly camLayers?: readonly string[];
  /** Channels of the last stage (the classifier's input). */
  readonly featureChannels: number;
  /** [C, H, W] of each layer for one image. */
  readonly layerShapes: Readonly<Record<string, readonly [number, number, number]>>;
  /** How the input is normalised: ImageNet statistics for the ResNets, the source's own for imported models. */
  readonly normalisation: Normalisation;
  /** How a face in a photo is cropped for the model: the paper's enlarged box, or face-api's crop (faceApiCrop.ts). */
  readonly crop: FaceCrop;
}
