/** The numbers beside the maps: class probabilities, alignment metrics, per-AU energy shares, the codebook. */
import type { ViewAuShare, ViewExpression, ViewReport } from '../protocol/explain';
import { fixed, h, percent } from '../shared/dom';
import type { ExplainedClass } from './notes';
import { noEnergyNote } from './notes';

/** One bar per class; each is a button that explains that class. */
export function classBars(report: ViewReport, onExplain: (className: string) => void): HTMLElement {
  const list = h('div', { class: 'bars', role: 'list', 'aria-label': 'Class probabilities' });
  for (const label of report.model.labels) {
    const p = report.scores[label] ?? 0;
    const predicted = label === report.predicted.class;
    const explained = label === report.explained.class;
    const tags = [predicted && 'predicted', explained && 'explained'].filter(Boolean).join(', ');
    const bar = h('span', { class: 'bar-fill' });
    bar.style.width = `${(100 * p).toFixed(1)}%`;
    const row = h('button', {
      class: `bar-row${predicted ? ' predicted' : ''}${explained ? ' explained' : ''}`, type: 'button',
      role: 'listitem',
      'aria-label': `${label}: probability ${p.toFixed(2)}${tags ? ` (${tags})` : ''}. Explain ${label}`,
      title: explained ? `${label} is explained` : `Explain ${label}`,
      onclick: () => onExplain(label),
    },
    h('span', { class: 'bar-label' }, label),
    h('span', { class: 'bar-track' }, bar),
    h('span', { class: 'bar-value' }, p.toFixed(2)),
    );
    list.append(row);
  }
  return list;
}

const LOCALISATION_ROWS: readonly [keyof NonNullable<ViewReport['localisation']['maps'][string]>, string, string][] = [
  ['energyPointingGame', 'Energy inside AUs', 'share of the map’s energy inside the AU regions'],
  ['pointingGame', 'Pointing game', 'the map’s peak lies inside an AU region'],
  ['relevanceMassAccuracy', 'Relevance mass', 'relevance mass accuracy'],
  ['relevanceRankAccuracy', 'Relevance rank', 'relevance rank accuracy'],
  ['topKIntersection', 'Top-k intersection', 'share of the top-k pixels inside the AU regions'],
  ['rocAuc', 'ROC AUC', 'how well the map separates AU pixels from the rest'],
];

/** ATT-COS per layer, CAM-COS per method, and the localisation scores of the maps the report scores. */
export function metricsTables(report: ViewReport, titles: ReadonlyMap<string, string>): HTMLElement {
  const title = (key: string): string => titles.get(key) ?? key;
  const cosRows = [
    ...Object.entries(report.attCos).map(([layer, v]) =>
      h('tr', {}, h('th', { scope: 'row' }, `ATT-COS · ${title(layer)}`), h('td', {}, fixed(v)))),
    ...Object.entries(report.camCos).map(([method, v]) =>
      h('tr', {}, h('th', { scope: 'row' }, `CAM-COS · ${title(method)}`), h('td', {}, fixed(v)))),
  ];
  const cos = h('table', { class: 'metrics', 'aria-label': 'Cosine similarity between each map and the AU map' },
    h('caption', {}, 'Cosine with the AU map (1 = same shape)'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Map'), h('th', { scope: 'col' }, 'Cosine'))),
    h('tbody', {}, ...cosRows));

  const keys = Object.keys(report.localisation.maps);
  const value = (key: string, row: (typeof LOCALISATION_ROWS)[number][0]): string => {
    const v = report.localisation.maps[key]?.[row];
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    return row === 'energyPointingGame' ? percent(v) : fixed(v as number | null | undefined);
  };
  const loc = h('table', { class: 'metrics', 'aria-label': 'Localisation of each map against the AU regions' },
    h('caption', {}, `Localisation against the AU regions (AU map > ${report.localisation.threshold})`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Metric'),
      ...keys.map((k) => h('th', { scope: 'col' }, title(k))))),
    h('tbody', {}, ...LOCALISATION_ROWS.map(([row, name, hint]) =>
      h('tr', {}, h('th', { scope: 'row', title: hint }, name), ...keys.map((k) => h('td', {}, value(k, row)))))));
  const unavailable = report.methods.unavailable.map((u) => h('li', {}, `${title(u.method)}: ${u.reason}`));
  return h('div', { class: 'tables' }, cos, loc,
    unavailable.length ? h('ul', { class: 'note' }, ...unavailable) : null);
}

/** Share of one map's energy inside each AU region, with FACS names. */
export function energyBars(shares: readonly ViewAuShare[] | null | undefined, mapTitle: string,
  explained: ExplainedClass): HTMLElement {
  if (!shares?.length) return h('p', { class: 'note' }, noEnergyNote(mapTitle, explained));
  const list = h('div', { class: 'bars energy', role: 'list',
    'aria-label': `Energy share of ${mapTitle} per action unit` });
  for (const a of shares) {
    const fill = h('span', { class: 'bar-fill' });
    fill.style.width = `${(100 * a.share).toFixed(1)}%`;
    list.append(h('div', { class: 'bar-row', role: 'listitem',
      'aria-label': `${a.au} ${a.name}: ${percent(a.share)} of the energy` },
      h('span', { class: 'bar-label' }, h('strong', {}, a.au), ` ${a.name}`),
      h('span', { class: 'bar-track' }, fill),
      h('span', { class: 'bar-value' }, percent(a.share))));
  }
  return list;
}

/** Without a model: each expression's AUs (FACS names) with a button that shows its AU map. */
export function expressionList(expressions: readonly ViewExpression[], selected: string,
  onShow: (mapId: string) => void): HTMLElement {
  const list = h('ul', { class: 'expressions', 'aria-label': 'Expressions and their action units' });
  for (const e of expressions) {
    const aus = e.aus.map((a) => `${a.au} ${a.name}`).join(' · ');
    const mapId = e.mapId;
    list.append(h('li', {},
      mapId
        ? h('button', { type: 'button', class: mapId === selected ? 'link selected' : 'link',
          'aria-pressed': mapId === selected ? 'true' : 'false', onclick: () => onShow(mapId) }, e.expression)
        : h('span', { class: 'muted' }, e.expression),
      h('span', { class: 'aus' }, aus || 'no action units'),
      e.note ? h('span', { class: 'note' }, ` (${e.note})`) : null));
  }
  return list;
}
