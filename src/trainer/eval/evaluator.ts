/**
 * The paper's evaluation (Belharbi et al. 2024, Tables 1–2; paper-notes §5, §7) accumulated batch by batch:
 * accuracy, ATT-COS per layer, CAM-COS per CAM method, and AU localisation of the CAM layer's attention and of each
 * CAM. Reference: sbelharbi/interpretable-fer-aus `eval.py` and `dlib/learning/inference_wsol.py`. Pure: the
 * caller runs the model and hands over plain arrays, so this works with any engine and in tests.
 */
import type { CamInput } from '../cam/index';
import { CAM_METHODS, fcRow } from '../cam/index';
import type { CamMethodName } from '../science/camMethods';
import { isCamMethodName } from '../science/camMethods';
import type { Expression } from '../science/labels';
import { isExpression } from '../science/labels';
import type { SampleScore } from '../science/metrics/aggregate';
import {
  accuracy,
  balancedAccuracy,
  confusionMatrix,
  CosineAggregator,
  perClassRecall,
} from '../science/metrics/aggregate';
import {
  attentionCosine,
  camCosine,
  isValidAuMap,
  prepareAttention,
  prepareAuMap,
  prepareCam,
} from '../science/metrics/cosine';
import type { LocalisationReport } from '../science/metrics/localisation';
import { DEFAULT_MASK_THRESHOLD, localisationReport } from '../science/metrics/localisation';
import { argmax, softmax } from '../science/metrics/scores';
import type { EvalReport, LocalisationMetric, SampleRecord } from '../science/report';
import { LOCALISATION_METRICS } from '../science/report';
import type { Heatmap } from '../science/types';

export interface EvaluatorOptions {
  /** Class order of the model's logits; label k of a batch is labels[k]. */
  readonly labels: readonly Expression[];
  /** Layers whose attention (channel mean) gets an ATT-COS, e.g. ['layer3', 'layer4', 'layer5']. */
  readonly layers: readonly string[];
  /** The layer the CAMs are computed on (the paper: layer 5); its attention is also localised and ranks `worst`. */
  readonly camLayer: string;
  readonly methods: readonly CamMethodName[];
  /** Layers whose attention is localised as well as the CAM layer's (a ViT's attention rollout); default none. */
  readonly localisedLayers?: readonly string[];
  /** τ of the AU mask H > τ for the localisation metrics; default 0.5. */
  readonly tau?: number;
}

/** One map per sample, N·H·W. */
export interface SpatialBatch {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
}

/** C maps per sample, N·C·H·W. */
export interface ChannelBatch extends SpatialBatch {
  readonly channels: number;
}

/** The linear head's weight, K·C (PyTorch's `fc.weight` layout). */
export interface FcWeight {
  readonly data: Float32Array;
  readonly classes: number;
  readonly channels: number;
}

/**
 * One batch of model outputs. N is `labels.length`; only the first `count` samples are real (a padded last batch).
 * `camGrads` must be d(logit of the sample's GROUND-TRUTH class)/d(camActs), i.e. built with target = label: the
 * paper explains the true class, and the CAM methods cannot tell which class a gradient belongs to.
 */
export interface EvalBatch {
  readonly count: number;
  readonly labels: BigInt64Array;
  /** N·K pre-softmax scores. */
  readonly logits: Float32Array;
  /** Every layer of the options, by name. */
  readonly attention: Readonly<Record<string, SpatialBatch>>;
  /** Activations of the CAM layer; needed when any method is asked for. */
  readonly camActs?: ChannelBatch;
  /** Same shape as camActs; needed by the gradient methods. */
  readonly camGrads?: ChannelBatch;
  /** Needed by CAM. */
  readonly fcWeight?: FcWeight;
  /** N·S·S AU heatmaps; an invalid one may hold +inf (the reference's marker). */
  readonly auMaps: Float32Array;
  readonly auSize: number;
  /** 1 where the sample's AU map is valid, 0 where not (neutral, no landmarks, every AU outside). */
  readonly auValid: Float32Array;
  readonly paths?: readonly string[];
}

const WORST_COUNT = 10;

export class Evaluator {
  private readonly labels: readonly Expression[];
  private readonly layers: readonly string[];
  private readonly camLayer: string;
  /** The layers whose attention is localised: the CAM layer first. */
  private readonly localised: readonly string[];
  private readonly methods: readonly CamMethodName[];
  private readonly tau: number;
  private readonly attCos: CosineAggregator;
  private readonly camCos: CosineAggregator;
  private readonly localisation = new Map<LocalisationMetric, CosineAggregator>();
  private readonly truth: number[] = [];
  private readonly predicted: number[] = [];
  private readonly records: SampleRecord[] = [];
  private invalidAu = 0;

  constructor(options: EvaluatorOptions) {
    const { labels, layers, camLayer, methods } = options;
    if (labels.length === 0 || new Set(labels).size !== labels.length || !labels.every(isExpression)) {
      throw new RangeError(`labels must be distinct expressions, got [${labels.join(', ')}]`);
    }
    if (new Set(layers).size !== layers.length) throw new RangeError(`layers repeat: [${layers.join(', ')}]`);
    if (!layers.includes(camLayer)) {
      throw new RangeError(`camLayer ${camLayer} is not one of the layers [${layers.join(', ')}]`);
    }
    for (const m of methods) if (!isCamMethodName(m)) throw new RangeError(`unknown CAM method ${String(m)}`);
    if (new Set(methods).size !== methods.length) throw new RangeError(`methods repeat: [${methods.join(', ')}]`);
    // Localisation keys layers and methods in one namespace.
    const clash = layers.find((l) => isCamMethodName(l));
    if (clash !== undefined) throw new RangeError(`layer name ${clash} is also a CAM method name`);
    const localised = [camLayer, ...(options.localisedLayers ?? []).filter((l) => l !== camLayer)];
    const unknown = localised.find((l) => !layers.includes(l));
    if (unknown !== undefined) throw new RangeError(`localised layer ${unknown} is not one of the layers`);
    const tau = options.tau ?? DEFAULT_MASK_THRESHOLD;
    if (!Number.isFinite(tau)) throw new RangeError(`tau must be finite, got ${tau}`);
    this.labels = [...labels];
    this.layers = [...layers];
    this.camLayer = camLayer;
    this.localised = localised;
    this.methods = [...methods];
    this.tau = tau;
    this.attCos = new CosineAggregator(this.labels);
    this.camCos = new CosineAggregator(this.labels);
    for (const metric of LOCALISATION_METRICS) this.localisation.set(metric, new CosineAggregator(this.labels));
  }

  addBatch(batch: EvalBatch): void {
    this.checkBatch(batch);
    const k = this.labels.length;
    const s = batch.auSize;
    for (let i = 0; i < batch.count; i++) {
      const label = Number(batch.labels[i]!);
      const row = batch.logits.subarray(i * k, (i + 1) * k);
      const prediction = argmax(row);
      const confidence = softmax(row)[prediction]!;
      const auMap: Heatmap = { width: s, height: s, data: batch.auMaps.subarray(i * s * s, (i + 1) * s * s) };
      const valid = batch.auValid[i]! > 0 && isValidAuMap(auMap);
      if (!valid) this.invalidAu++;
      const expression = this.labels[label]!;
      const target = valid ? prepareAuMap(auMap) : null;

      const attCos: Record<string, SampleScore> = {};
      for (const layer of this.layers) {
        const att = sampleMap(batch.attention[layer]!, i);
        attCos[layer] = target ? attentionCosine(att, auMap) : 'invalid';
        if (this.localised.includes(layer)) {
          this.localise(expression, layer, target && prepareAttention(att, s, s), target);
        }
      }
      const camCos: Record<string, SampleScore> = {};
      for (const method of this.methods) {
        const cam = target ? CAM_METHODS[method].cam.explain(camInput(batch, i, label)) : null;
        camCos[method] = cam ? camCosine(cam, auMap) : 'invalid';
        this.localise(expression, method, cam && prepareCam(cam, s, s), target);
      }
      this.attCos.addSample(expression, attCos);
      this.camCos.addSample(expression, camCos);
      this.truth.push(label);
      this.predicted.push(prediction);
      this.records.push({
        index: this.records.length,
        path: batch.paths?.[i] ?? null,
        label: expression,
        prediction: this.labels[prediction]!,
        confidence,
        attCos,
        camCos,
      });
    }
  }

  /** Every sample's record, in evaluation order. */
  samples(): readonly SampleRecord[] {
    return this.records;
  }

  /** The `count` valid samples with the lowest ATT-COS at `layer` (default: the CAM layer), lowest first. */
  worst(count = WORST_COUNT, layer = this.camLayer): SampleRecord[] {
    const score = (r: SampleRecord): number => r.attCos[layer] as number;
    return this.records
      .filter((r) => typeof r.attCos[layer] === 'number')
      .sort((a, b) => score(a) - score(b) || a.index - b.index)
      .slice(0, count);
  }

  result(): EvalReport {
    const k = this.labels.length;
    const matrix = confusionMatrix(this.truth, this.predicted, k);
    const recalls = perClassRecall(matrix);
    const byMetric = new Map([...this.localisation].map(([metric, agg]) => [metric, agg.summary()]));
    const maps = [...this.localised, ...this.methods];
    const byMap = Object.fromEntries(maps.map((map) => [
      map,
      Object.fromEntries(LOCALISATION_METRICS.flatMap((metric) => {
        const scores = byMetric.get(metric)!.byKey[map];
        return scores ? [[metric, scores]] : [];
      })),
    ]));
    return {
      samples: this.records.length,
      labels: [...this.labels],
      layers: [...this.layers],
      camLayer: this.camLayer,
      methods: [...this.methods],
      accuracy: accuracy(this.truth, this.predicted),
      balancedAccuracy: balancedAccuracy(this.truth, this.predicted, k),
      confusion: { labels: [...this.labels], matrix },
      perClassAccuracy: Object.fromEntries(this.labels.map((l, i) => [l, recalls[i] ?? null])),
      attCos: this.attCos.summary(),
      camCos: this.camCos.summary(),
      localisation: { threshold: this.tau, maps, metrics: [...LOCALISATION_METRICS], byMap },
      invalidAuSamples: this.invalidAu,
      tau: this.tau,
      worst: this.worst(),
    };
  }

  /** Scores `map` (already at the AU map's size) against the clipped AU map, or records the sample as left out. */
  private localise(label: Expression, key: string, map: Heatmap | null, target: Heatmap | null): void {
    const report: LocalisationReport<never> | null = map && target
      ? localisationReport<never>(map, target, [], { threshold: this.tau })
      : null;
    for (const metric of LOCALISATION_METRICS) {
      const v = report?.[metric] ?? null;
      this.localisation.get(metric)!.add(label, key, v === null ? 'invalid' : Number(v));
    }
  }

  /**
   * Checks every array's size against N = labels.length and the options, and the real samples' labels and logits,
   * before anything is added: a batch goes in whole or not at all.
   */
  private checkBatch(b: EvalBatch): void {
    const n = b.labels.length;
    const k = this.labels.length;
    const fail = (what: string): never => {
      throw new RangeError(`batch: ${what}`);
    };
    if (!Number.isInteger(b.count) || b.count < 0 || b.count > n) fail(`count ${b.count} outside 0..${n}`);
    if (b.logits.length !== n * k) fail(`logits hold ${b.logits.length} values, expected ${n}×${k}`);
    const s = b.auSize;
    if (!Number.isInteger(s) || s < 1) fail(`auSize must be a positive integer, got ${s}`);
    if (b.auMaps.length !== n * s * s) fail(`auMaps hold ${b.auMaps.length} values, expected ${n}×${s}×${s}`);
    if (b.auValid.length !== n) fail(`auValid holds ${b.auValid.length} values, expected ${n}`);
    if (b.paths && b.paths.length < b.count) fail(`${b.paths.length} paths for ${b.count} samples`);
    for (let i = 0; i < b.count; i++) {
      const label = Number(b.labels[i]!);
      if (!Number.isInteger(label) || label < 0 || label >= k) fail(`sample ${i}: label ${label} outside 0..${k - 1}`);
    }
    // A NaN logit would silently vote for class 0 and put NaN into the JSON report.
    if (!b.logits.subarray(0, b.count * k).every(Number.isFinite)) fail('logits of real samples are not all finite');
    for (const layer of this.layers) {
      const a = b.attention[layer];
      if (!a) fail(`no attention for layer ${layer}`);
      else if (a.data.length !== n * a.height * a.width) {
        fail(`attention ${layer} holds ${a.data.length} values, expected ${n}×${a.height}×${a.width}`);
      }
    }
    if (this.methods.length === 0) return;
    const acts = b.camActs ?? fail(`camActs are needed by ${this.methods.join(', ')}`);
    const chw = acts.channels * acts.height * acts.width;
    if (acts.data.length !== n * chw) {
      fail(`camActs hold ${acts.data.length} values, expected ${n}×${acts.channels}×${acts.height}×${acts.width}`);
    }
    for (const method of this.methods) {
      const needs = CAM_METHODS[method].needs;
      if (needs.includes('gradients')) {
        const g = b.camGrads ?? fail(`camGrads are needed by ${method}`);
        const same = g.channels === acts.channels && g.height === acts.height && g.width === acts.width;
        if (!same || g.data.length !== acts.data.length) {
          fail(
            `camGrads are ${g.channels}×${g.height}×${g.width}, camActs ${acts.channels}×${acts.height}×${acts.width}`,
          );
        }
      }
      if (needs.includes('classWeights')) {
        const fc = b.fcWeight ?? fail(`fcWeight is needed by ${method}`);
        if (fc.classes !== k || fc.channels !== acts.channels || fc.data.length !== k * acts.channels) {
          fail(`fcWeight is ${fc.classes}×${fc.channels} (${fc.data.length} values), expected ${k}×${acts.channels}`);
        }
      }
    }
  }
}

export function sampleMap(batch: SpatialBatch, i: number): Heatmap {
  const area = batch.height * batch.width;
  return { width: batch.width, height: batch.height, data: batch.data.subarray(i * area, (i + 1) * area) };
}

/** Sample i's CAM input with the fc row of its true class (the paper's CAM target). */
function camInput(b: EvalBatch, i: number, label: number): CamInput {
  const acts = b.camActs!;
  const chw = acts.channels * acts.height * acts.width;
  return {
    activations: {
      channels: acts.channels,
      height: acts.height,
      width: acts.width,
      data: acts.data.subarray(i * chw, (i + 1) * chw),
    },
    ...(b.camGrads ? { gradients: b.camGrads.data.subarray(i * chw, (i + 1) * chw) } : {}),
    ...(b.fcWeight ? { classWeights: fcRow(b.fcWeight.data, b.fcWeight.classes, b.fcWeight.channels, label) } : {}),
  };
}

/** Sample i's CAM of each method for its true class, at the CAM layer's resolution. */
export function sampleCams(b: EvalBatch, i: number, methods: readonly CamMethodName[]): Map<CamMethodName, Heatmap> {
  const input = camInput(b, i, Number(b.labels[i]!));
  return new Map(methods.map((m) => [m, CAM_METHODS[m].cam.explain(input)]));
}
