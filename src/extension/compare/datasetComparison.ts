/**
 * Dataset mode without the editor: two evaluations of the same folder ('eval/run' results) paired image by image and
 * compared (science/metrics/paired.ts). Kept free of vscode so unit tests can feed it evaluation files.
 */
import type { EvalImageRecord, EvalRunResult } from '../../trainer/eval/evalFile';
import type { LayerMatch } from '../../trainer/science/layerMatch';
import { matchLayers } from '../../trainer/science/layerMatch';
import type { BootstrapOptions } from '../../trainer/science/metrics/bootstrap';
import type { PairedComparison, PairedImage } from '../../trainer/science/metrics/paired';
import { comparePaired, describeAccuracy, pairByPath } from '../../trainer/science/metrics/paired';

export interface DatasetComparison {
  readonly comparison: PairedComparison;
  readonly reading: string;
  readonly layers: LayerMatch;
  readonly unpaired: number;
}

export function compareEvaluations(a: EvalRunResult, b: EvalRunResult, options: BootstrapOptions = {}): DatasetComparison {
  const { pairs, onlyA, onlyB } = pairByPath<EvalImageRecord>(a.images, b.images);
  if (pairs.length === 0) {
    throw new Error(`no image was evaluated by both models (${a.images.length} by A, ${b.images.length} by B): were they given the same folder?`);
  }
  const layers = matchLayers(a.report.layers, b.report.layers);
  const images: PairedImage[] = pairs.map(({ path, a: ra, b: rb }) => ({
    path,
    label: ra.label,
    a: { predicted: ra.prediction, attCos: ra.attCos },
    b: { predicted: rb.prediction, attCos: rb.attCos },
  }));
  const comparison = comparePaired(images, layers.pairs, options);
  return { comparison, reading: describeAccuracy(comparison), layers, unpaired: onlyA.length + onlyB.length };
}
