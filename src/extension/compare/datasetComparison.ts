/**
 * Dataset mode without the editor: two evaluations of the same folder ('eval/run' results) paired image by image and
 * compared (science/metrics/paired.ts). Kept free of vscode so unit tests can feed it evaluation files.
 */
import type { EvalImageRecord, EvalRunResult } from '../../trainer/eval/evalFile';
import { parseEvalFile } from '../../trainer/eval/evalFile';
import type { LayerMatch } from '../../trainer/science/layerMatch';
import { matchLayers } from '../../trainer/science/layerMatch';
import type { BootstrapOptions } from '../../trainer/science/metrics/bootstrap';
import type { PairedComparison, PairedImage } from '../../trainer/science/metrics/paired';
import { comparePaired, describeAccuracy, pairByPath } from '../../trainer/science/metrics/paired';
import type { FaithfulnessDelta, FaithfulnessPair } from '../../trainer/science/metrics/pairedFaithfulness';
import { comparePairedFaithfulness } from '../../trainer/science/metrics/pairedFaithfulness';

export interface DatasetComparison {
  readonly comparison: PairedComparison;
  readonly reading: string;
  readonly layers: LayerMatch;
  readonly unpaired: number;
  /** Δ AU selectivity and Δ deletion AUC per map; null unless both evaluations measured faithfulness. */
  readonly faithfulness: readonly FaithfulnessDelta[] | null;
}

export function compareEvaluations(a: EvalRunResult, b: EvalRunResult,
  options: BootstrapOptions = {}): DatasetComparison {
  const { pairs, onlyA, onlyB } = pairByPath<EvalImageRecord>(a.images, b.images);
  if (pairs.length === 0) {
    throw new Error(`no image was evaluated by both models (${a.images.length} by A, ${b.images.length} by B): were ` +
      `they given the same folder?`);
  }
  const layers = matchLayers(a.report.layers, b.report.layers);
  const images: PairedImage[] = pairs.map(({ path, a: ra, b: rb }) => ({
    path,
    label: ra.label,
    a: { predicted: ra.prediction, attCos: ra.attCos },
    b: { predicted: rb.prediction, attCos: rb.attCos },
  }));
  const comparison = comparePaired(images, layers.pairs, options);
  const fa = a.report.faithfulness;
  const fb = b.report.faithfulness;
  const faithful = pairs.flatMap(({ a: ra, b: rb }): FaithfulnessPair[] =>
    ra.faithfulness && rb.faithfulness ? [{ label: ra.label, a: ra.faithfulness, b: rb.faithfulness }] : []);
  const faithfulness = fa && fb
    ? comparePairedFaithfulness(faithful, comparison.classes, { a: fa.maps, b: fb.maps }, options) : null;
  return { comparison, reading: describeAccuracy(comparison), layers, unpaired: onlyA.length + onlyB.length,
    faithfulness };
}

/** What is known of an evaluation file saved beside a model, to decide whether a restored comparison may reuse it. */
export interface SavedEvaluation {
  readonly file: string;
  readonly text: string;
  readonly fileTime: number;
  readonly modelTime: number;
}

/**
 * The saved evaluation of `model` on every image of `data`, if it is one and is newer than the model file: a
 * comparison restored after a window reload then shows at once instead of evaluating both models again. Anything
 * else (another folder, a test split, a retrained model, a damaged file, no faithfulness when `faithfulness` asks
 * for it) gives undefined: evaluate again.
 */
export function reusableEvaluation(saved: SavedEvaluation, model: string, data: string,
  faithfulness = false): EvalRunResult | undefined {
  if (saved.fileTime < saved.modelTime) return undefined;
  try {
    const result = parseEvalFile(saved.text, saved.file);
    return result.model === model && result.data === data && result.split === 'all'
      && (!faithfulness || result.report.faithfulness !== undefined) ? result : undefined;
  } catch {
    return undefined;
  }
}
