/**
 * face-api's facial-expression network (`faceExpressionNet` of @vladmandic/face-api, MIT) described without
 * building it: its labels, input, blocks and weight names. faceApiExpression.ts builds it from these; the weights
 * reader (faceApiWeights.ts) checks the shipped manifest against them.
 *
 * - input: (x − [122.782, 117.001, 104.298]) / 255 on 0–255 RGB (FACEAPI_NORMALISATION), of the landmarks' box
 *   grown by 20 % and black-padded to a square (alignedRect, extractFaceTensors, NetInput.toBatchTensor's
 *   padToSquare): crop 'faceapi' (data/faceApiCrop.ts);
 * - four `denseBlock4`s (dense0…dense3, 32, 64, 128, 256 channels, each halving the side: 56, 28, 14, 7), each
 *   an attention layer; dense3 feeds the linear head through a global average pool, so CAM is exact.
 */
import type { Expression } from '../science/labels';
import type { Normalisation, PresetInfo } from './modelInfo';

/** face-api's FACE_EXPRESSION_LABELS (neutral, happy, sad, angry, fearful, disgusted, surprised) in our names. */
export const FACEAPI_EXPRESSION_LABELS: readonly Expression[] = Object.freeze(
  ['neutral', 'happy', 'sad', 'anger', 'fear', 'disgust', 'surprise'] as const,
);

/**
 * FaceFeatureExtractor.forwardInput: `normalize(x, meanRgb).div(255)` on 0–255 RGB. Our pipeline computes
 * (x/255 − mean)/std, which is the same with mean = meanRgb/255 and std = 1.
 */
export const FACEAPI_NORMALISATION: Normalisation = Object.freeze({
  mean: Object.freeze([122.782 / 255, 117.001 / 255, 104.298 / 255] as const),
  std: Object.freeze([1, 1, 1] as const),
});

export const FACEAPI_INPUT_SIZE = 112;
export const FACEAPI_WIDTHS = [32, 64, 128, 256] as const;
export const FACEAPI_KERNEL = 3;
/** Convs per denseBlock4. */
const CONVS_PER_BLOCK = 4;

/** One conv of a dense block: conv0 of dense0 is a plain conv, every other one depthwise-separable. */
export interface FaceApiConv {
  /** Our parameter prefix, face-api's path with '.' for '/': 'dense1.conv2'. */
  readonly name: string;
  /** face-api's weight-map prefix: 'dense1/conv2'. */
  readonly tfName: string;
  readonly kind: 'plain' | 'separable';
  readonly cin: number;
  readonly cout: number;
  readonly stride: number;
}

export interface FaceApiBlock {
  /** Layer name for attention and CAMs: 'dense0' … 'dense3'. */
  readonly name: string;
  readonly convs: readonly FaceApiConv[];
  /** Output side for the 112 input. */
  readonly side: number;
}

/** The four dense blocks, in network order. */
export function faceApiBlocks(): FaceApiBlock[] {
  let cin = 3;
  let side = FACEAPI_INPUT_SIZE;
  return FACEAPI_WIDTHS.map((width, b) => {
    side = Math.ceil(side / 2);
    const convs = Array.from({ length: CONVS_PER_BLOCK }, (_, k): FaceApiConv => ({
      name: `dense${b}.conv${k}`,
      tfName: `dense${b}/conv${k}`,
      kind: b === 0 && k === 0 ? 'plain' : 'separable',
      cin: k === 0 ? cin : width,
      cout: width,
      stride: k === 0 ? 2 : 1,
    }));
    cin = width;
    return { name: `dense${b}`, convs, side };
  });
}

export function faceApiInfo(): PresetInfo {
  const blocks = faceApiBlocks();
  const layerShapes = Object.fromEntries(blocks.map((b, i) => [b.name, [FACEAPI_WIDTHS[i]!, b.side, b.side] as const]));
  const layers = blocks.map((b) => b.name);
  return {
    inputSize: FACEAPI_INPUT_SIZE,
    layers,
    defaultLayer: layers[layers.length - 1]!,
    featureChannels: FACEAPI_WIDTHS[FACEAPI_WIDTHS.length - 1]!,
    layerShapes,
    normalisation: FACEAPI_NORMALISATION,
    crop: 'faceapi',
  };
}

/** Our parameter names of a conv: plain 'weight' or the separable pair, and the bias. */
export const depthwiseName = (conv: FaceApiConv): string => `${conv.name}.depthwise.weight`;
export const pointwiseName = (conv: FaceApiConv): string => `${conv.name}.pointwise.weight`;
export const plainName = (conv: FaceApiConv): string => `${conv.name}.weight`;
export const biasName = (conv: FaceApiConv): string => `${conv.name}.bias`;
export const FACEAPI_HEAD = 'fc';
