/**
 * The evaluation results page: summary, the class × layer ATT-COS heatmap table, CAM-COS per method, the confusion
 * matrix and the worst images. It draws what the host sends (DidLoadNotification) and stores only the eval file's
 * path, which the host reads again after a window reload.
 */
import { jet } from '../../trainer/science/colormap';
import type { EvaluationPageState, EvaluationView } from '../protocol/evaluation';
import { DidLoadNotification, ExplainImageCommand, OpenFileCommand, ReadyCommand } from '../protocol/evaluation';
import { jetGradient } from '../shared/colormap';
import { byId, fixed, h, percent } from '../shared/dom';
import { HostIpc } from '../shared/hostIpc';
import { faithfulnessSection } from './faithfulness';

const ipc = new HostIpc<EvaluationPageState>();
/** The panel lists the first few; the Problems view has them all. */
const GATES_SHOWN = 6;

/** Readable text on a jet background: dark on the bright middle, light on the dark ends. */
function heatCell(value: number | null | undefined, text: string): HTMLTableCellElement {
  const cell = h('td', { class: 'num heat' }, text);
  if (typeof value === 'number') {
    const [r, g, b] = jet(value);
    cell.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
    cell.style.color = 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#000' : '#fff';
  }
  return cell;
}

function summary(view: EvaluationView): HTMLElement[] {
  const { report } = view;
  const layer = report.camLayer;
  const tile = (label: string, value: string, hint: string): HTMLElement =>
    h(
      'div',
      { class: 'tile', title: hint },
      h('div', { class: 'tile-value' }, value),
      h('div', { class: 'tile-label' }, label),
    );
  return [
    tile('accuracy', percent(report.accuracy), `${report.samples} images`),
    tile('balanced accuracy', percent(report.balancedAccuracy), 'mean recall over the classes'),
    tile(`ATT-COS ${layer}`, fixed(report.attCos.byKey[layer]?.average), 'mean over the six expressions'),
    ...report.methods
      .slice(0, 1)
      .map((m) => tile(`CAM-COS ${m}`, fixed(report.camCos.byKey[m]?.average), 'mean over the six expressions')),
    ...(report.faithfulness?.auOcclusion ? [tile('AU selectivity', fixed(report.faithfulness.auOcclusion
      .auSelectivity.average?.value), 'probability drop when the AUs are hidden minus a control region\'s')] : []),
    tile('images', String(report.samples), `${report.invalidAuSamples} without an AU map`),
  ];
}

function attMatrix(view: EvaluationView): HTMLTableElement {
  const { report } = view;
  const caption = h('caption', { class: 'sr-only' }, 'ATT-COS by class (rows) and layer (columns)');
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, 'class'),
    ...report.layers.map((l) => h('th', { scope: 'col', class: 'num' }, l)),
  );
  const rows = report.labels.map((cls) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, cls),
      ...report.layers.map((l) => {
        const v = report.attCos.byKey[l]?.perClass[cls]?.mean;
        return heatCell(v, fixed(v));
      }),
    ),
  );
  const average = h(
    'tr',
    { class: 'average' },
    h('th', { scope: 'row' }, 'Average'),
    ...report.layers.map((l) => heatCell(report.attCos.byKey[l]?.average, fixed(report.attCos.byKey[l]?.average))),
  );
  return h('table', { class: 'matrix' }, caption, h('thead', {}, head), h('tbody', {}, ...rows, average));
}

function camBars(view: EvaluationView): HTMLElement {
  const { report } = view;
  if (report.methods.length === 0) return h('p', { class: 'muted' }, 'No CAM method was evaluated.');
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, 'method'),
    h('th', { scope: 'col', class: 'num' }, 'Average'),
    ...report.labels.map((c) => h('th', { scope: 'col', class: 'num' }, c)),
  );
  const rows = report.methods.map((m) => {
    const avg = report.camCos.byKey[m]?.average;
    const bar = h('div', { class: 'bar', role: 'img', 'aria-label': `${m}: ${fixed(avg)}` });
    bar.style.width = `${Math.max(0, Math.min(1, avg ?? 0)) * 100}%`;
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, m),
      h('td', { class: 'num bar-cell' }, h('div', { class: 'bar-track' }, bar), h('span', {}, fixed(avg))),
      ...report.labels.map((c) =>
        heatCell(report.camCos.byKey[m]?.perClass[c]?.mean, fixed(report.camCos.byKey[m]?.perClass[c]?.mean)),
      ),
    );
  });
  return h(
    'table',
    { class: 'matrix' },
    h('caption', { class: 'sr-only' }, 'CAM-COS per method'),
    h('thead', {}, head),
    h('tbody', {}, ...rows),
  );
}

function confusion(view: EvaluationView): HTMLTableElement {
  const { labels, matrix } = view.report.confusion;
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, 'truth \\ prediction'),
    ...labels.map((l) => h('th', { scope: 'col', class: 'num' }, l)),
    h('th', { scope: 'col', class: 'num' }, 'recall'),
  );
  const rows = labels.map((truth, t) => {
    const row = matrix[t] ?? [];
    const total = row.reduce((a, b) => a + b, 0);
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, truth),
      ...row.map((count, p) => {
        const share = total > 0 ? count / total : 0;
        const cell = h(
          'td',
          {
            class: `num conf${p === t ? ' diagonal' : ''}`,
            title: `${truth} predicted as ${labels[p]}: ${count} (${percent(share)})`,
          },
          String(count),
        );
        const colour = p === t ? '--vscode-charts-green' : '--vscode-charts-red';
        cell.style.backgroundColor = `color-mix(in srgb, var(${colour}) ${Math.round(share * 70)}%, transparent)`;
        return cell;
      }),
      h('td', { class: 'num' }, percent(view.report.perClassAccuracy[truth] ?? null)),
    );
  });
  return h(
    'table',
    { class: 'matrix' },
    h('caption', { class: 'sr-only' }, 'Confusion matrix'),
    h('thead', {}, head),
    h('tbody', {}, ...rows),
  );
}

function worst(view: EvaluationView): HTMLElement[] {
  if (view.worst.length === 0) return [h('p', { class: 'muted' }, 'No images.')];
  const layer = view.report.camLayer;
  return view.worst.map((w) => {
    const wrong = w.prediction !== w.label;
    return h(
      'button',
      {
        class: `thumb${wrong ? ' wrong' : ''}`,
        type: 'button',
        title: `${w.path}\nExplain with ${view.modelName}`,
        'aria-label': `${w.name}: ${w.label}, predicted ${w.prediction}, ${layer} ATT-COS ${fixed(w.attCos)}. Explain.`,
        onclick: () => ipc.sendCommand(ExplainImageCommand, { path: w.path }),
      },
      h('img', { src: w.src, alt: '', width: 72, height: 72 }),
      h('span', { class: 'thumb-name' }, w.name),
      h('span', { class: 'thumb-meta' }, wrong ? `${w.label} → ${w.prediction}` : `${w.label} ✓`),
      h('span', { class: 'thumb-meta' }, `ATT-COS ${fixed(w.attCos)} · ${percent(w.confidence)}`),
    );
  });
}

function render(view: EvaluationView): void {
  ipc.state = { file: view.file };
  byId('title').textContent = `${view.modelName} on ${view.dataset}`;
  const split = view.split === 'all' ? 'every image' : `${view.split} split`;
  byId('subtitle').textContent =
    `${view.report.samples} images (${split}) · ${new Date(view.createdAt).toLocaleString()} · ${view.model}`;
  byId('open-file').toggleAttribute('disabled', view.file === null);
  byId('summary').replaceChildren(...summary(view));
  const gates = byId('gates');
  gates.hidden = view.gateFailures.length === 0;
  const shown = view.gateFailures.slice(0, GATES_SHOWN);
  const more = view.gateFailures.length - shown.length;
  gates.replaceChildren(
    h('strong', {}, `Quality gates failed (${view.gateFailures.length}) — each is a problem in the Problems view:`),
    h('ul', {}, ...shown.map((g) => h('li', {}, g)), more > 0 && h('li', { class: 'muted' }, `…and ${more} more`)),
  );
  const warnings = byId('warnings');
  warnings.hidden = view.warnings.length === 0;
  warnings.replaceChildren(...view.warnings.map((w) => h('p', {}, `⚠ ${w}`)));
  byId('att-matrix').replaceChildren(attMatrix(view));
  byId('cam-bars').replaceChildren(camBars(view));
  byId('confusion').replaceChildren(confusion(view));
  const faithfulness = faithfulnessSection(view.report.faithfulness, view.report.labels);
  byId('faithfulness-card').hidden = faithfulness.length === 0;
  byId('faithfulness').replaceChildren(...faithfulness);
  byId('worst').replaceChildren(...worst(view));
  byId('loading').hidden = true;
  byId('content').hidden = false;
}

byId('legend-bar').style.backgroundImage = jetGradient();
byId('open-file').addEventListener('click', () => ipc.sendCommand(OpenFileCommand, undefined));
ipc.onNotification(DidLoadNotification, render);
ipc.sendCommand(ReadyCommand, undefined);
