/**
 * The faithfulness metrics of one face, planned together so that every perturbed image of the face, and of many
 * faces, goes through the model in full batches (runProbes): AU occlusion, and per map the deletion/insertion
 * curves and ROAD. The maps come from faithfulnessMaps.ts, the regions from faceRegionsFor.ts; the metrics
 * themselves are the pure code of science/metrics/faithfulness/.
 */
import type { AuOcclusionResult } from '../science/metrics/faithfulness/auOcclusion';
import { planAuOcclusion } from '../science/metrics/faithfulness/auOcclusion';
import type { Classifier, Probe, RunOptions } from '../science/metrics/faithfulness/classifier';
import { runProbes, settledProbe } from '../science/metrics/faithfulness/classifier';
import type { DeletionInsertionResult } from '../science/metrics/faithfulness/deletion';
import { planDeletionInsertion } from '../science/metrics/faithfulness/deletion';
import type { FaceRegions } from '../science/metrics/faithfulness/regions';
import type { RoadResult } from '../science/metrics/faithfulness/road';
import { planRoad } from '../science/metrics/faithfulness/road';
import type { ModelImage, Skipped } from '../science/metrics/faithfulness/types';
import { deriveSeed } from '../science/random';
import type { Heatmap } from '../science/types';

/** Which metrics to compute. */
export interface FaithfulnessSettings {
  /** AU occlusion (the class's AU regions and control regions hidden). */
  readonly occlusion: boolean;
  /** Deletion/insertion curves of each map. */
  readonly deletion: boolean;
  /** ROAD of each map (the imputation makes it the costly one). */
  readonly road: boolean;
  /** Only these maps (keys of the map set); default all. */
  readonly maps?: readonly string[];
  /** Deletion/insertion steps; default 20. */
  readonly steps?: number;
  /** ROAD percentiles; default 10, 20, …, 90. */
  readonly percentiles?: readonly number[];
}

export const ALL_METRICS: FaithfulnessSettings = { occlusion: true, deletion: true, road: true };

export interface MapFaithfulness {
  readonly deletion?: DeletionInsertionResult;
  readonly road?: RoadResult;
}

export interface FaceFaithfulness {
  readonly auOcclusion?: AuOcclusionResult;
  /** By map key. */
  readonly maps: Readonly<Record<string, MapFaithfulness>>;
}

export interface FaceInput {
  /** The face as the model takes it. */
  readonly image: ModelImage;
  readonly labels: readonly string[];
  readonly className: string;
  /** The class's AU regions and the skin at the input size, or why there are none. */
  readonly regions: FaceRegions | Skipped;
  /** Maps at the input size, or why a map is missing (an AU map of a neutral face). */
  readonly maps: ReadonlyMap<string, Heatmap | Skipped>;
  /** This face's seed: control regions, tie orders and ROAD's noise derive from it. */
  readonly seed: number;
}

/** A face's probes and how to read their results back. */
export interface PlannedFace {
  readonly probes: readonly Probe<unknown>[];
  finish(results: readonly unknown[]): FaceFaithfulness;
}

const OCCLUSION_STREAM = 1;
const ORDER_STREAM = 2;
const ROAD_STREAM = 3;

export function planFace(input: FaceInput, settings: FaithfulnessSettings): PlannedFace {
  const { image, labels, className, seed } = input;
  const probes: Probe<unknown>[] = [];
  const slots: { readonly map: string | null; readonly metric: 'occlusion' | 'deletion' | 'road' }[] = [];
  if (settings.occlusion) {
    probes.push(planAuOcclusion({ image, labels, className, regions: input.regions },
      { seed: deriveSeed(seed, OCCLUSION_STREAM) }));
    slots.push({ map: null, metric: 'occlusion' });
  }
  const keys = [...input.maps.keys()].filter((k) => settings.maps?.includes(k) ?? true);
  keys.forEach((key, k) => {
    const map = input.maps.get(key)!;
    if (settings.deletion) {
      probes.push('status' in map ? settledProbe(map) : planDeletionInsertion({ image, map, labels, className }, {
        seed: deriveSeed(seed, ORDER_STREAM, k),
        ...(settings.steps !== undefined && { steps: settings.steps }),
      }));
      slots.push({ map: key, metric: 'deletion' });
    }
    if (settings.road) {
      probes.push('status' in map ? settledProbe(map) : planRoad({ image, map, labels, className }, {
        seed: deriveSeed(seed, ROAD_STREAM, k),
        ...(settings.percentiles !== undefined && { percentiles: settings.percentiles }),
      }));
      slots.push({ map: key, metric: 'road' });
    }
  });
  return {
    probes,
    finish(results) {
      let auOcclusion: AuOcclusionResult | undefined;
      const maps: Record<string, { deletion?: DeletionInsertionResult; road?: RoadResult }> = {};
      slots.forEach(({ map, metric }, i) => {
        if (map === null) {
          auOcclusion = results[i] as AuOcclusionResult;
          return;
        }
        const entry = (maps[map] ??= {});
        if (metric === 'deletion') entry.deletion = results[i] as DeletionInsertionResult;
        else entry.road = results[i] as RoadResult;
      });
      return { ...(auOcclusion && { auOcclusion }), maps };
    },
  };
}

/** Scores faces together: their probes share full batches. */
export async function scoreFaces(
  classifier: Classifier,
  faces: readonly PlannedFace[],
  options: RunOptions = {},
): Promise<FaceFaithfulness[]> {
  const results = await runProbes(classifier, faces.flatMap((f) => f.probes), options);
  let at = 0;
  return faces.map((f) => {
    const mine = results.slice(at, at + f.probes.length);
    at += f.probes.length;
    return f.finish(mine);
  });
}
