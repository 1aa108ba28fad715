/**
 * A model opened for explanation or evaluation, whatever its file: what modelFile.ts opens (checkpoints, AU Lens
 * exports) and import/foreignModel.ts (ONNX models trained elsewhere) both answer with an OpenModel.
 */
import type { LayerActivations } from '../cam';
import type { ModelDescription } from '../export/modelDescription';
import type { CamMethodName } from '../science/camMethods';
import type { Classifier } from '../science/metrics/faithfulness/classifier';
import type { FaceCrop } from '../science/faceFrame';
import type { Heatmap } from '../science/types';

export type ModelKind = 'checkpoint' | 'onnx' | 'imported';

/** A model's description; an imported model has no preset ('imported') and describes its layers by its sidecar. */
export interface OpenModelDescription extends Omit<ModelDescription, 'preset'> {
  readonly preset: string;
}

/** One image's outputs. */
export interface ModelOutputs {
  /** Pre-softmax scores in label order. */
  readonly logits: Float32Array;
  /** Channel-mean attention of every layer, at the layer's resolution. */
  readonly attention: ReadonlyMap<string, Heatmap>;
  /** The CAM layer's activations. */
  readonly activations: LayerActivations;
  /** d logit[explained] / d activations, when the model yields gradients. */
  readonly gradients?: Float32Array;
  /** The class the gradients belong to, when the graph chose it; otherwise the caller decides. */
  readonly explained?: number;
}

export interface UnavailableMethod {
  readonly method: CamMethodName;
  readonly reason: string;
}

export interface OpenModel {
  readonly file: string;
  readonly kind: ModelKind;
  readonly description: OpenModelDescription;
  /** How a face is cropped for the model. */
  readonly crop: FaceCrop;
  /** The layer the CAMs are computed on: the last stage, whose channels the linear head weighs. */
  readonly camLayer: string;
  readonly methods: readonly CamMethodName[];
  readonly unavailable: readonly UnavailableMethod[];
  /** What the user should be told about the file (an older checkpoint format); absent when nothing. */
  readonly note?: string;
  /** The linear head's weight, classes × channels. */
  readonly fcWeight: Float32Array;
  /** Runs one normalised (1, 3, S, S) image; target −1 explains the predicted class. */
  run(image: Float32Array, target: number): Promise<ModelOutputs>;
  /** Class probabilities of batches of normalised images (the faithfulness metrics); opened on first use. */
  classifier(): Promise<Classifier>;
  /**
   * The same model with its top layers re-drawn at random, for the sanity check; absent where the weights are
   * not AU Lens's to re-draw (ONNX files). The caller releases the model it gets.
   */
  readonly randomised?: (seed: number) => Promise<RandomisedModel>;
  release(): Promise<void>;
}

/** A model whose parameters from `fromLayer` to the head were re-drawn as at initialisation. */
export interface RandomisedModel {
  readonly model: OpenModel;
  readonly fromLayer: string;
  /** The parameters re-drawn, by state_dict name. */
  readonly redrawn: readonly string[];
}
