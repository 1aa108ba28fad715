/**
 * An `EvalReport` as text, laid out like the paper's `eval.py` prints it: accuracy first, then the class ×
 * (layers + CAM methods) cosine matrix with an "Average" row over the six expressions (`print_avg_per_cl_au_cosine`),
 * then our localisation averages.
 */
import { CAM_METHODS } from '../cam/index';
import type { Expression } from '../science/labels';
import type { ScoreSummary } from '../science/metrics/aggregate';
import type { EvalReport, LocalisationMetric } from '../science/report';
import { formatEvalFaithfulness } from './formatEvalFaithfulness';
import { table } from './textTable';

const METRIC_TITLES: Readonly<Record<LocalisationMetric, string>> = {
  energyPointingGame: 'energy PG',
  pointingGame: 'PG',
  relevanceMassAccuracy: 'rel. mass',
  relevanceRankAccuracy: 'rel. rank',
  rocAuc: 'ROC-AUC',
};

function percent(v: number | null): string {
  return v === null ? '—' : `${(100 * v).toFixed(2)}%`;
}

function fixed(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : v.toFixed(3);
}

function meanOf(summary: ScoreSummary, key: string, cls: Expression): number | null | undefined {
  return summary.byKey[key]?.perClass[cls]?.mean;
}

export function formatEvalReport(report: EvalReport): string {
  const { labels, layers, methods, attCos, camCos } = report;
  const lines: string[] = [];
  lines.push(`Samples: ${report.samples} (invalid AU maps: ${report.invalidAuSamples}; τ = ${report.tau})`);
  lines.push(`Accuracy: ${percent(report.accuracy)}   Balanced accuracy: ${percent(report.balancedAccuracy)}`);

  lines.push('', 'Confusion matrix (rows = truth, columns = prediction):');
  lines.push(
    table(
      ['truth \\ pred', ...labels, 'recall'],
      labels.map((l, t) => [
        l,
        ...(report.confusion.matrix[t] ?? []).map(String),
        percent(report.perClassAccuracy[l] ?? null),
      ]),
    ),
  );

  const titles = methods.map((m) => CAM_METHODS[m].title);
  const cells = (cls: Expression): string[] => [
    ...layers.map((l) => fixed(meanOf(attCos, l, cls))),
    ...methods.map((m) => fixed(meanOf(camCos, m, cls))),
  ];
  const average = [
    ...layers.map((l) => fixed(attCos.byKey[l]?.average)),
    ...methods.map((m) => fixed(camCos.byKey[m]?.average)),
  ];
  lines.push(
    '',
    'Cosine with the AU map (ATT-COS per layer, CAM-COS per method; Average = mean over the six expressions):',
  );
  lines.push(table(['class', ...layers, ...titles], [...labels.map((l) => [l, ...cells(l)]), ['Average', ...average]]));

  const { maps, metrics, byMap, threshold } = report.localisation;
  lines.push('', `Localisation against the AU mask H > ${threshold} (mean over the six expressions):`);
  lines.push(table(
    ['map', ...metrics.map((m) => METRIC_TITLES[m])],
    maps.map((map) => [
      report.layers.includes(map) ? `attention ${map}` : CAM_METHODS[map as keyof typeof CAM_METHODS]?.title ?? map,
      ...metrics.map((m) => fixed(byMap[map]?.[m]?.average)),
    ]),
  ));

  if (report.faithfulness) lines.push(...formatEvalFaithfulness(report.faithfulness, labels));

  if (report.worst.length > 0) {
    lines.push('', `Lowest ATT-COS at ${report.camLayer}:`);
    lines.push(table(
      ['#', 'ATT-COS', 'label', 'prediction', 'confidence', 'path'],
      report.worst.map((r) => [
        String(r.index),
        fixed(r.attCos[report.camLayer] as number),
        r.label,
        r.prediction,
        percent(r.confidence),
        r.path ?? '',
      ]),
    ));
  }
  return lines.join('\n');
}
