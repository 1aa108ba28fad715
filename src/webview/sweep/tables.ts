/**
 * The sweep page's two tables: mean ± sd over seeds per grid point, and every run with its settings, state and
 * numbers. The runs table sorts by any column (its header is a button; aria-sort says how) and each row has a
 * checkbox for "Compare these two" and buttons for its dashboard and log, all reachable by keyboard. Each control
 * has a data-key, so a re-drawn table can give the focus back to the same control.
 */
import type { SweepRunRow, SweepView } from '../protocol/sweep';
import { h } from '../shared/dom';
import { formatSpread, formatValue, metricLabel, settingText } from './format';

const SEED = 'seed';

export interface RunActions {
  readonly selected: ReadonlySet<string>;
  readonly onSelect: (run: string, on: boolean) => void;
  readonly onOpen: (run: string) => void;
  readonly onLog: (run: string) => void;
}

export interface Sort {
  /** 'name', 'state', a setting or a metric key. */
  readonly column: string;
  readonly descending: boolean;
}

export function groupsTable(view: SweepView): HTMLElement {
  const settings = view.settings.filter((s) => s !== SEED);
  const head = h('tr', {},
    ...settings.map((s) => h('th', { scope: 'col' }, s)),
    h('th', { scope: 'col', class: 'num' }, 'n'),
    ...view.metrics.map((m) => h('th', { scope: 'col', class: 'num' }, metricLabel(m))));
  const rows = view.groups.map((g) => h('tr', {},
    ...settings.map((s, i) => h(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : {}, settingText(g.point[s]))),
    h('td', { class: 'num', title: `seeds ${g.seeds.map((s) => settingText(s)).join(', ')}` }, String(g.runs.length)),
    ...view.metrics.map((m) => {
      const s = g.metrics[m];
      return h('td', { class: 'num', ...(s && { title: `${s.n} run(s) with a value` }) }, formatSpread(m, s));
    })));
  const caption = h('caption', { class: 'sr-only' },
    'Each metric as mean ± standard deviation over seeds, per grid point');
  return h('table', { class: 'matrix' }, caption, h('thead', {}, head), h('tbody', {}, ...rows));
}

function sortValue(row: SweepRunRow, column: string): string | number {
  if (column === 'name') return row.name;
  if (column === 'state') return row.state;
  if (column in row.metrics) return row.metrics[column] ?? Number.NEGATIVE_INFINITY;
  const v = row.point[column];
  return typeof v === 'number' ? v : settingText(v);
}

export function sortRuns(runs: readonly SweepRunRow[], sort: Sort | undefined): SweepRunRow[] {
  if (!sort) return [...runs];
  const sign = sort.descending ? -1 : 1;
  return [...runs].sort((a, b) => {
    const [x, y] = [sortValue(a, sort.column), sortValue(b, sort.column)];
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return sign * order;
  });
}

/** The runs table; `onSort` gets the column whose header was pressed. */
export function runsTable(view: SweepView, sort: Sort | undefined, actions: RunActions,
  onSort: (column: string) => void): HTMLElement {
  const header = (column: string, label: string, numeric: boolean): HTMLElement => {
    const sorted = sort?.column === column;
    const ariaSort = sorted ? (sort.descending ? 'descending' : 'ascending') : 'none';
    const arrow = sorted ? (sort.descending ? ' ▼' : ' ▲') : '';
    return h('th', { scope: 'col', class: numeric ? 'num' : null, 'aria-sort': ariaSort },
      h('button', { class: 'sort', type: 'button', 'data-key': `sort:${column}`, onclick: () => onSort(column) },
        `${label}${arrow}`));
  };
  const head = h('tr', {},
    h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Select')),
    header('name', 'run', false),
    ...view.settings.map((s) => header(s, s, false)),
    header('state', 'state', false),
    ...view.metrics.map((m) => header(m, metricLabel(m), true)),
    h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')));
  const rows = sortRuns(view.runs, sort).map((r) => {
    const box = h('input', {
      type: 'checkbox', 'aria-label': `Select ${r.name} to compare`, 'data-key': `select:${r.name}`,
      disabled: r.checkpoint === null,
      checked: actions.selected.has(r.name), title: r.checkpoint === null ? 'No best.ckpt yet' : 'Select to compare',
    });
    box.addEventListener('change', () => actions.onSelect(r.name, box.checked));
    const state = h('span', { class: `state ${r.state.replace(' ', '-')}`, ...(r.error && { title: r.error }) },
      r.state);
    return h('tr', {},
      h('td', {}, box),
      h('th', { scope: 'row' }, r.name),
      ...view.settings.map((s) => h('td', {}, settingText(r.point[s]))),
      h('td', {}, state),
      ...view.metrics.map((m) => h('td', { class: 'num' }, formatValue(m, r.metrics[m]))),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'link', disabled: r.state === 'not started' && r.checkpoint === null,
          'aria-label': `Open run ${r.name}`, 'data-key': `open:${r.name}`, onclick: () => actions.onOpen(r.name) },
        'Open run'),
        r.log && h('button', { type: 'button', class: 'link', 'aria-label': `Show the log of ${r.name}`,
          'data-key': `log:${r.name}`, onclick: () => actions.onLog(r.name) }, 'Show Log')));
  });
  const caption = h('caption', { class: 'sr-only' }, 'The sweep\'s runs with their settings, state and metrics');
  return h('table', { class: 'matrix runs' }, caption, h('thead', {}, head), h('tbody', {}, ...rows));
}
