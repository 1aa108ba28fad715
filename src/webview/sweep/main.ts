/**
 * The sweep page: the sweep's progress, a metric against a numeric setting (chart.ts), mean ± sd over seeds per grid
 * point and every run (tables.ts) with "Open run", "Show Log" and "Compare these two". It draws what the host sends
 * (DidLoadNotification, again whenever a run folder changes) and stores the sweep file and the chart's choices.
 */
import 'uplot/dist/uPlot.min.css';
import './sweep.css';
import type { SweepPageState, SweepView } from '../protocol/sweep';
import {
  CompareRunsCommand, DidLoadNotification, OpenFileCommand, OpenRunCommand, ReadyCommand, RefreshCommand,
  ShowLogCommand,
} from '../protocol/sweep';
import { byId, h } from '../shared/dom';
import { HostIpc } from '../shared/hostIpc';
import { fillSelect, selectValue } from '../shared/select';
import { SweepChart } from './chart';
import { metricLabel } from './format';
import type { Sort } from './tables';
import { groupsTable, runsTable } from './tables';

const ipc = new HostIpc<SweepPageState>();
const el = {
  title: byId('title'), subtitle: byId('subtitle'), loading: byId('loading'), content: byId('content'),
  counts: byId('counts'), notes: byId('notes'), metric: byId('metric'), axis: byId('axis'), chart: byId('chart'),
  chartEmpty: byId('chart-empty'), groups: byId('groups'), runs: byId('runs'), compare: byId('compare'),
  selection: byId('selection'), refresh: byId('refresh'), openFile: byId('open-file'),
};
const chart = new SweepChart(el.chart);
let view: SweepView | undefined;
/** The chart's choices, as the selects last said. */
let choice = { metric: '', axis: '' };
let sort: Sort | undefined;
const selected = new Set<string>();

/** The chart's default: test accuracy where runs were evaluated, else validation accuracy, else the first. */
function defaultMetric(v: SweepView): string {
  return ['test.accuracy', 'val.accuracy'].find((m) => v.metrics.includes(m)) ?? v.metrics[0] ?? '';
}

function saveState(): void {
  if (!view) return;
  ipc.state = { file: view.file, ...choice };
}

function renderChart(): void {
  if (!view) return;
  const { metric, axis } = choice;
  const why = view.numericAxes.length === 0 ? 'No numeric setting varies in this sweep: nothing to draw against.'
    : view.metrics.length === 0 ? 'No run has numbers yet: the chart fills in as runs finish epochs.' : '';
  const lines = why ? chart.clear() : chart.render(view, metric, axis);
  el.chartEmpty.textContent = why || (lines.length === 0 ? `No run has ${metricLabel(metric)} yet.` : '');
  el.chartEmpty.hidden = el.chartEmpty.textContent === '';
  el.chart.setAttribute('aria-label', `${metricLabel(metric)} against ${axis}: ${lines.length} line(s), mean over ` +
    'seeds with ± 1 sd; the table below lists the same numbers');
}

function renderSelection(): void {
  if (!view) return;
  const trained = new Set(view.runs.filter((r) => r.checkpoint !== null).map((r) => r.name));
  for (const name of [...selected]) if (!trained.has(name)) selected.delete(name);
  const names = [...selected];
  el.compare.toggleAttribute('disabled', names.length !== 2);
  el.selection.textContent = names.length === 2 ? `Compare ${names[0]} with ${names[1]}.`
    : names.length > 2 ? `${names.length} runs selected: select exactly two.`
      : 'Select two trained runs to compare their models.';
}

function renderRuns(): void {
  if (!view) return;
  const focused = document.activeElement?.getAttribute('data-key');
  el.runs.replaceChildren(runsTable(view, sort, {
    selected,
    onSelect: (run, on) => {
      if (on) selected.add(run);
      else selected.delete(run);
      renderSelection();
    },
    onOpen: (run) => ipc.sendCommand(OpenRunCommand, { run }),
    onLog: (run) => ipc.sendCommand(ShowLogCommand, { run }),
  }, (column) => {
    sort = { column, descending: sort?.column === column ? !sort.descending : false };
    renderRuns();
  }));
  // A re-render (new data, a sort) keeps the keyboard where it was.
  if (focused) (el.runs.querySelector(`[data-key="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
  renderSelection();
}

function render(v: SweepView, state: SweepPageState | undefined): void {
  view = v;
  el.title.textContent = `Sweep ${v.name}`;
  el.subtitle.textContent = `${v.file} · ${v.runs.length} runs in ${v.out} · read ${
    new Date(v.updatedAt).toLocaleTimeString()}`;
  const c = v.counts;
  const parts = [`${c.completed} completed`, c.running && `${c.running} running`, c.pending && `${c.pending} queued`,
    c.failed && `${c.failed} failed`, (c.cancelled + c.interrupted) && `${c.cancelled + c.interrupted} stopped`,
    c['not started'] && `${c['not started']} not started`].filter(Boolean);
  el.counts.textContent = `${v.runs.length} runs: ${parts.join(', ')}`;
  el.notes.replaceChildren(...v.notes.map((n) => h('p', {}, n)));
  el.notes.hidden = v.notes.length === 0;
  const metric = state?.metric && v.metrics.includes(state.metric) ? state.metric : defaultMetric(v);
  const axis = state?.axis && v.numericAxes.includes(state.axis) ? state.axis : v.numericAxes[0] ?? '';
  choice = { metric, axis };
  fillSelect(el.metric, v.metrics.map((m) => ({ value: m, label: metricLabel(m) })), metric);
  fillSelect(el.axis, v.numericAxes.map((a) => ({ value: a, label: a })), axis);
  el.groups.replaceChildren(groupsTable(v));
  el.loading.hidden = true;
  el.content.hidden = false;
  for (const b of [el.refresh, el.openFile]) b.removeAttribute('disabled');
  renderChart();
  saveState();
  renderRuns();
}

// A new view of the same page keeps the chart's choices; a reloaded page takes them from its stored state.
ipc.onNotification(DidLoadNotification, (v) => render(v, view ? { file: v.file, ...choice } : ipc.state));
for (const select of [el.metric, el.axis]) {
  select.addEventListener('change', () => {
    choice = { metric: selectValue(el.metric), axis: selectValue(el.axis) };
    renderChart();
    saveState();
  });
}
el.compare.addEventListener('click', () => {
  const [a, b] = [...selected];
  if (a && b) ipc.sendCommand(CompareRunsCommand, { a, b });
});
el.refresh.addEventListener('click', () => ipc.sendCommand(RefreshCommand, undefined));
el.openFile.addEventListener('click', () => ipc.sendCommand(OpenFileCommand, undefined));
// VS Code swaps the body's theme class (vscode-light / vscode-dark / vscode-high-contrast): recolour the chart.
new MutationObserver(() => renderChart()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
ipc.sendCommand(ReadyCommand, undefined);
