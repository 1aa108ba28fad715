/**
 * One face's faithfulness as `au-lens explain` writes it into report.json and the explanation panel reads it:
 * does the explained class's probability depend on the AUs (AU occlusion), and on the pixels each map ranks
 * first (deletion/insertion, ROAD)? Types only, so the webview's protocol can import them.
 */
import type { AuOcclusionResult } from './metrics/faithfulness/auOcclusion';
import type { DeletionInsertionResult } from './metrics/faithfulness/deletion';
import type { RoadResult } from './metrics/faithfulness/road';

/** How the face was perturbed, so a number can be reproduced. */
export interface FaithfulnessSettingsReport {
  /** Blur σ in input pixels, and the σ it scales from at the paper's 224 px. */
  readonly blurSigma: number;
  readonly blurSigma224: number;
  readonly controlDraws: number;
  /** Deletion/insertion steps; null when not computed. */
  readonly steps: number | null;
  /** ROAD percentiles; null when not computed. */
  readonly percentiles: readonly number[] | null;
  readonly seed: number;
}

/** One AU of the explained class: its occlusion drop beside its share of the CAM layer's attention. */
export interface AuReliance {
  readonly au: string;
  readonly facs: number;
  /** The FACS name from the model's codebook. */
  readonly name: string;
  /** Drop of the class probability when the AU is hidden; null when the AU lies outside the crop. */
  readonly drop: number | null;
  /** Share of the CAM layer's attention energy inside the AU; null when unmeasured. */
  readonly share: number | null;
  /** Pixels of its region at the model's input. */
  readonly pixels: number;
}

export interface MapFaithfulnessReport {
  readonly title: string;
  readonly deletion?: DeletionInsertionResult;
  readonly road?: RoadResult;
}

/**
 * The model-randomisation check on this face (Adebayo et al. 2018): Spearman ρ between each of the model's maps
 * under the trained weights and under the weights from `fromLayer` to the head re-drawn.
 */
export interface FaceSanity {
  readonly fromLayer: string;
  readonly redrawn: readonly string[];
  readonly seed: number;
  /** By map key; null when either map is constant. */
  readonly rho: Readonly<Record<string, number | null>>;
  readonly threshold: number;
}

export interface FaithfulnessReport {
  /** The explained class. */
  readonly class: string;
  readonly settings: FaithfulnessSettingsReport;
  /** Null when not computed. */
  readonly auOcclusion: AuOcclusionResult | null;
  /** The class's AUs, largest drop first (those outside the crop last). */
  readonly aus: readonly AuReliance[];
  /** By map key (`attention:<layer>`, `cam:<method>`, `au`, `random`). */
  readonly maps: Readonly<Record<string, MapFaithfulnessReport>>;
  /** Null when not asked for; `unavailable` says why it cannot be done for this model. */
  readonly sanity: FaceSanity | { readonly unavailable: string } | null;
  /** The occlusion and the deletion curves in words. */
  readonly reading: string;
  readonly ms: number;
}
