/**
 * What explaining one photo answers (Explanation: its report and its maps) and how a request is asked and
 * refused. The explainer (explainImage.ts), its scoring (scoreExplanation.ts), the panel data and the CLI share
 * these.
 */
import type { RgbImage } from '../io/image';
import type { DetectedFace } from '../io/landmarks';
import type { CamMethodName } from '../science/camMethods';
import type { FaceCrop, FaceFrame } from '../science/faceFrame';
import type { Expression } from '../science/labels';
import type { LocalisationReport } from '../science/metrics/localisation';
import type { Heatmap } from '../science/types';
import type { FaithfulnessReport } from '../science/faithfulnessReport';
import type { ModelKind, UnavailableMethod } from './openModel';

export interface ExplainRequest {
  /**
   * An AU Lens checkpoint, a model written by `au-lens export`, or a pretrained model's name; default
   * DEFAULT_MODEL (face-api's expression network), so a fresh install explains without training.
   */
  readonly model?: string;
  /** The sidecar of an ONNX model trained elsewhere; default: beside the model (`model.au-lens.json`). */
  readonly sidecar?: string;
  readonly image: string;
  /** Whether a model file other than a checkpoint may be parsed (io/modelTrust.ts): the CLI trusts its user's. */
  readonly trusted: boolean;
  /** Index into the detected faces (as `au-lens aumap --face`); default: the most confident face. */
  readonly face?: number;
  /** The expression to explain (any spelling parseExpression knows); default: the predicted class. */
  readonly className?: string;
}

/** A request the user can fix by asking for something else (a face or class that does not exist). */
export class ExplainRequestError extends Error {
  override readonly name = 'ExplainRequestError';
}

export interface AuShare {
  readonly au: string;
  readonly facs: number;
  /** The FACS name from the model's codebook. */
  readonly name: string;
  readonly share: number;
  readonly pixels: number;
}

export type LocalisationScores = Omit<LocalisationReport<unknown>, 'perAuEnergyShare'>;

export interface ExplanationReport {
  readonly image: { readonly path: string; readonly width: number; readonly height: number };
  readonly model: {
    readonly path: string;
    readonly kind: ModelKind;
    readonly preset: string;
    /** How the face was cropped for the model. */
    readonly crop: FaceCrop;
    readonly inputSize: number;
    readonly labels: readonly Expression[];
    readonly codebook: string;
    readonly attentionLayers: readonly string[];
    readonly alignedLayers: readonly string[];
    readonly camLayer: string;
    /** What the user should be told about the model file (an older checkpoint format), if anything. */
    readonly note?: string;
  };
  readonly face: {
    readonly index: number;
    readonly found: number;
    readonly box: DetectedFace['box'];
    readonly score: number;
    readonly method: DetectedFace['method'];
    /** The square the model saw, in image pixels. */
    readonly frame: FaceFrame;
  };
  /** Softmax probability per class, in the model's label order. */
  readonly scores: Readonly<Partial<Record<Expression, number>>>;
  readonly predicted: { readonly class: Expression; readonly probability: number };
  readonly explained: {
    readonly class: Expression;
    readonly probability: number;
    /** True when the class was asked for (--class), false when it is the prediction. */
    readonly requested: boolean;
    readonly aus: readonly { readonly au: string; readonly facs: number; readonly name: string }[];
  };
  readonly auMap:
    { readonly valid: true } | { readonly valid: false; readonly reason: string; readonly detail: string };
  /** ATT-COS per layer; null when the AU map is invalid (see cosineNote). */
  readonly attCos: Readonly<Record<string, number | null>>;
  /** CAM-COS per computed method; null when the AU map is invalid. */
  readonly camCos: Readonly<Record<string, number | null>>;
  /** Why the cosines and localisation scores are null; null when they are not. */
  readonly cosineNote: string | null;
  readonly methods: { readonly computed: readonly CamMethodName[]; readonly unavailable: readonly UnavailableMethod[] };
  /**
   * Share of each map's energy inside each AU region (AU map > τ), keyed by map: the CAM layer's attention (its
   * layer name), a ViT's rollout ('rollout') and each CAM (its method name); null when the AU map is invalid or
   * the map has no energy.
   */
  readonly perAuEnergyShare: Readonly<Record<string, readonly AuShare[] | null>>;
  /** Localisation of the same maps against the explained class's AU map; null when the AU map is invalid. */
  readonly localisation: {
    readonly threshold: number;
    readonly maps: Readonly<Record<string, LocalisationScores | null>>;
  };
  /** One line for people, e.g. "happy 0.91 — 68 % of stage3 attention lies on AU6, AU12, AU25". */
  readonly reading: string;
  /** Does the class probability depend on the AUs and on what each map ranks first; absent unless computed. */
  readonly faithfulness?: FaithfulnessReport;
  readonly timingsMs: {
    /** Opening the model (0 when its session was already warm). */
    readonly model: number;
    readonly decode: number;
    readonly landmarks: number;
    readonly prepare: number;
    readonly inference: number;
    /** AU map, CAMs and metrics. */
    readonly maps: number;
    readonly total: number;
  };
}

/** What rendering needs beyond the report: the photo, the face and the maps at their native resolutions. */
export interface ExplanationMaps {
  readonly image: RgbImage;
  readonly frame: FaceFrame;
  /** The paper's face frame, where AU maps are built. */
  readonly auFrame: FaceFrame;
  readonly face: DetectedFace;
  /** The face as the model took it: 3 × S × S, normalised. */
  readonly input: Float32Array;
  /** The explained class's AU map over the square the model saw (`frame`), at 224 px; undefined when invalid. */
  readonly auFrameMap?: Heatmap;
  /** The same AU map at the model's input size, as the metrics see it. */
  readonly auInputMap?: Heatmap;
  /** Attention per layer, at the layer's resolution. */
  readonly attention: ReadonlyMap<string, Heatmap>;
  /** Each computed CAM at the CAM layer's resolution (not normalised). */
  readonly cams: ReadonlyMap<CamMethodName, Heatmap>;
}

export interface Explanation {
  readonly report: ExplanationReport;
  readonly maps: ExplanationMaps;
}
