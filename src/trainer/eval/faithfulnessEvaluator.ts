/**
 * `au-lens eval --faithfulness`: the faithfulness metrics of every evaluated image, batch by batch beside the
 * Evaluator, and their summary per class and over the six expressions (as ATT-COS) with bootstrap intervals.
 * Each image is explained for its true class, as the paper computes its CAMs; its maps are those of the
 * Evaluator's batch (the CAM layer's attention, each CAM), the AU map and a random map, and every perturbed image
 * of a batch of faces goes through the model's batched classifier together.
 */
import type { Batch } from '../data/loader';
import type { PreparedSample } from '../data/prepare';
import type { FaceFaithfulness, PlannedFace } from '../explain/faceFaithfulness';
import { planFace, scoreFaces } from '../explain/faceFaithfulness';
import { FAITHFULNESS_SEED, RANDOM_MAP_STREAM, regionsAtInput } from '../explain/explanationFaithfulness';
import { faithfulnessMaps, mapTitle, modelMaps } from '../explain/faithfulnessMaps';
import type { CamMethodName } from '../science/camMethods';
import type { Codebook } from '../science/codebook';
import { ausForExpression } from '../science/codebook';
import type { Expression } from '../science/labels';
import type { AuOcclusionResult } from '../science/metrics/faithfulness/auOcclusion';
import { DEFAULT_CONTROL_DRAWS } from '../science/metrics/faithfulness/auOcclusion';
import { blurSigmaFor } from '../science/metrics/faithfulness/blur';
import type { Classifier, RunOptions } from '../science/metrics/faithfulness/classifier';
import { DEFAULT_STEPS } from '../science/metrics/faithfulness/deletion';
import { ROAD_PERCENTILES } from '../science/metrics/faithfulness/road';
import { randomisationSimilarity, SANITY_RHO_THRESHOLD, sanityVerdict } from '../science/metrics/faithfulness/sanity';
import type { LabelledValue } from '../science/metrics/faithfulness/summary';
import { summariseAuOcclusion, summariseByClass } from '../science/metrics/faithfulness/summary';
import type { Skipped } from '../science/metrics/faithfulness/types';
import { skipped } from '../science/metrics/faithfulness/types';
import { deriveSeed } from '../science/random';
import type { EvalFaithfulness, MapSummary, MapValues, SampleFaithfulness } from '../science/report';
import type { Heatmap } from '../science/types';
import type { EvalBatch, Evaluator } from './evaluator';
import { sampleCams, sampleMap } from './evaluator';
import type { CheckpointEvaluation, EvaluateOptions, FaithfulnessEvalOptions } from './types';

export interface FaithfulnessEvaluatorConfig {
  /** The model's classes, in output order (restricted to the data's, as the Evaluator's). */
  readonly labels: readonly Expression[];
  readonly codebook: Codebook;
  readonly inputSize: number;
  readonly camLayer: string;
  readonly methods: readonly CamMethodName[];
  readonly classifier: Classifier;
  readonly options: FaithfulnessEvalOptions;
  /** What the randomised batches re-drew, or why there are none. */
  readonly sanity: RedrawnLayers | { readonly unavailable: string };
}

/** The parameters the sanity check's model re-drew: from `fromLayer` to the head. */
export interface RedrawnLayers {
  readonly fromLayer: string;
  readonly redrawn: readonly string[];
}

const METRICS = ['deletion', 'insertion', 'morf', 'lerf', 'road'] as const;

/** The values of one face's results that are kept per image. */
function sampleValues(face: FaceFaithfulness): SampleFaithfulness {
  const occ = face.auOcclusion;
  const auSelectivity = !occ ? 'no-control' as const : occ.status === 'skipped' ? occ.reason
    : occ.auSelectivity ?? 'no-control' as const;
  const maps = Object.fromEntries(Object.entries(face.maps).map(([key, m]): [string, MapValues] => {
    const d = m.deletion;
    const r = m.road;
    return [key, {
      ...(d && (d.status === 'ok'
        ? { deletion: d.deletion.auc, insertion: d.insertion.auc } : { deletion: d.reason, insertion: d.reason })),
      ...(r && (r.status === 'ok'
        ? { morf: r.morf.mean, lerf: r.lerf.mean, road: r.combined }
        : { morf: r.reason, lerf: r.reason, road: r.reason })),
    }];
  }));
  return {
    auSelectivity,
    controlDrop: occ?.status === 'ok' ? occ.control?.drop ?? null : null,
    auReliance: occ?.status === 'ok' ? occ.auReliance : {},
    maps,
  };
}

export class FaithfulnessEvaluator {
  private readonly faces: { label: Expression; occlusion?: AuOcclusionResult; values: SampleFaithfulness }[] = [];
  private readonly seed: number;
  private readonly codebookAus: readonly number[];

  constructor(private readonly config: FaithfulnessEvaluatorConfig) {
    this.seed = config.options.seed ?? FAITHFULNESS_SEED;
    this.codebookAus = config.codebook.actionUnits.map((a) => a.facs);
  }

  /**
   * Scores the real samples of one batch: `samples` are their prepared samples in slot order (for the landmark
   * geometry), `randomised` the same batch through the randomised model when the sanity check runs.
   */
  async addBatch(
    batch: Batch,
    evalBatch: EvalBatch,
    samples: readonly PreparedSample[],
    randomised?: EvalBatch,
    run: RunOptions = {},
  ): Promise<void> {
    const { labels, inputSize: size, camLayer, methods } = this.config;
    const plane = 3 * size * size;
    const planned: PlannedFace[] = [];
    const trained: Map<string, Heatmap>[] = [];
    const sanity: (Record<string, number | null> | undefined)[] = [];
    for (let i = 0; i < batch.count; i++) {
      const index = this.faces.length + i;
      const sample = samples[i]!;
      const className = labels[Number(batch.labels[i]!)]!;
      const sources = (b: EvalBatch): Map<string, Heatmap> => modelMaps({
        size, camLayer, attention: sampleMap(b.attention[camLayer]!, i), cams: sampleCams(b, i, methods),
      });
      const maps = sources(evalBatch);
      trained.push(maps);
      const auMap: Heatmap | Skipped = batch.auValid[i]! > 0
        ? { width: size, height: size, data: batch.auMaps.slice(i * size * size, (i + 1) * size * size) }
        : skipped(sample.auInvalidReason === 'no-face' ? 'no-landmarks' : sample.auInvalidReason ?? 'no-aus',
          `no AU map (${sample.auInvalidReason ?? 'invalid'})`);
      const seed = deriveSeed(this.seed, index);
      const regions = regionsAtInput(sample.geometry, size, ausForExpression(this.config.codebook, className),
        this.codebookAus);
      const image = { channels: 3, width: size, height: size, data: batch.image.slice(i * plane, (i + 1) * plane) };
      const mapSet = faithfulnessMaps(maps, auMap, size, deriveSeed(seed, RANDOM_MAP_STREAM));
      const modelLabels = this.config.classifier.labels;
      planned.push(planFace({ image, labels: modelLabels, className, regions, maps: mapSet, seed },
        this.config.options.settings));
      if (randomised) {
        const other = sources(randomised);
        sanity.push(Object.fromEntries([...maps].map(([k, m]) => [k, randomisationSimilarity(m, other.get(k)!)])));
      } else sanity.push(undefined);
    }
    const classes = Array.from(batch.labels.subarray(0, batch.count), (l) => labels[Number(l)]!);
    const scored = await scoreFaces(this.config.classifier, planned, run);
    scored.forEach((face, i) => {
      const values = sampleValues(face);
      const rho = sanity[i];
      this.faces.push({
        label: classes[i]!,
        ...(face.auOcclusion && { occlusion: face.auOcclusion }),
        values: rho ? { ...values, sanity: rho } : values,
      });
    });
  }

  /** Every scored image's values, in evaluation order. */
  samples(): SampleFaithfulness[] {
    return this.faces.map((f) => f.values);
  }

  result(): EvalFaithfulness {
    const { settings } = this.config.options;
    const occluded = this.faces.flatMap((f) => (f.occlusion ? [{ label: f.label, result: f.occlusion }] : []));
    const keys = [...new Set(this.faces.flatMap((f) => Object.keys(f.values.maps)))];
    const maps = Object.fromEntries(keys.map((key, k): [string, MapSummary] => {
      const summaries = Object.fromEntries(METRICS.flatMap((metric, m) => {
        const values: LabelledValue[] = this.faces.flatMap((f) => {
          const v = f.values.maps[key]?.[metric];
          return v === undefined ? [] : [{ label: f.label, value: v }];
        });
        return values.length === 0 ? [] : [[metric, summariseByClass(values, {}, 10 + 8 * k + m)]];
      }));
      const rhos = this.faces.flatMap((f) => (f.values.sanity && key in f.values.sanity
        ? [f.values.sanity[key]!] : []));
      const sanity = this.faces.some((f) => f.values.sanity) && rhos.length > 0
        ? sanityVerdict(rhos, { seed: deriveSeed(this.seed, 99, k) }) : null;
      return [key, { title: mapTitle(key), ...summaries, sanity }];
    }));
    return {
      settings: {
        blurSigma: blurSigmaFor(this.config.inputSize),
        steps: settings.deletion ? settings.steps ?? DEFAULT_STEPS : null,
        percentiles: settings.road ? settings.percentiles ?? ROAD_PERCENTILES : null,
        controlDraws: DEFAULT_CONTROL_DRAWS,
        seed: this.seed,
      },
      auOcclusion: settings.occlusion ? summariseAuOcclusion(occluded) : null,
      maps,
      sanity: !this.config.options.sanity ? null : 'unavailable' in this.config.sanity ? this.config.sanity
        : { ...this.config.sanity, threshold: SANITY_RHO_THRESHOLD },
    };
  }
}

/** The evaluation's result, with each image's faithfulness beside its record when it was computed. */
export function evaluationOf(
  options: Pick<EvaluateOptions, 'checkpoint' | 'data'>,
  split: CheckpointEvaluation['split'],
  warnings: readonly string[],
  skippedFiles: CheckpointEvaluation['skipped'],
  evaluator: Evaluator,
  faithfulness: FaithfulnessEvaluator | undefined,
): CheckpointEvaluation {
  const report = evaluator.result();
  const samples = evaluator.samples();
  const common = { checkpoint: options.checkpoint, data: options.data, split, warnings, skipped: skippedFiles };
  if (!faithfulness) return { ...common, report, samples };
  const values = faithfulness.samples();
  return {
    ...common,
    report: { ...report, faithfulness: faithfulness.result() },
    samples: samples.map((s, i) => ({ ...s, faithfulness: values[i]! })),
  };
}
