/**
 * The comparison panel's page. It draws what the host sends (DidCompareNotification) and keeps only UI state (the
 * map shown, the opacity, the flip filter) in vscode.setState; after a reload the host compares again.
 */
import type {
  CompareFailure, ComparePageState, CompareTarget, CompareView, DatasetCompareView, FlipView, ImageCompareView,
} from '../protocol/compare';
import {
  DidCompareNotification, DidFailNotification, DidRenderCommand, DidStartNotification, ExplainClassCommand,
  ExplainImageCommand, ReadyCommand,
  RetryCommand,
} from '../protocol/compare';
import { jetGradient } from '../shared/colormap';
import { byId } from '../shared/dom';
import { HostIpc } from '../shared/hostIpc';
import { fillSelect, selectValue } from '../shared/select';
import { accuracyTable, attCosTable, faithfulnessTable, flipList } from './datasetMode';
import { differenceGradient } from './difference';
import { cosineTable, defaultPair, drawMaps, scoresTable } from './imageMode';

interface UiState extends ComparePageState {
  readonly opacity?: number;
  readonly flips?: FlipView['kind'] | 'all';
}

const ipc = new HostIpc<UiState>();
let ui: UiState = { opacity: 0.6, flips: 'all', ...ipc.state };
let view: CompareView | undefined;
let photo: HTMLImageElement | null = null;
let cells = 0;

const el = {
  title: byId('title'), subtitle: byId('subtitle'), progress: byId('progress'), status: byId('status-text'),
  error: byId('error'), errorText: byId('error-text'), reading: byId('reading'), layerNote: byId('layer-note'),
  imageMode: byId('image-mode'), datasetMode: byId('dataset-mode'),
  map: byId('map'), className: byId('class'), classNote: byId('class-note'),
  opacity: byId<HTMLInputElement>('opacity'), opacityOut: byId<HTMLOutputElement>('opacity-out'),
  scores: byId('scores'), cosines: byId('cosines'), accuracy: byId('accuracy'), attTable: byId('att-table'),
  faithCard: byId('faith-card'), faithTable: byId('faith-table'),
  flipFilter: byId('flip-filter'), flips: byId('flips'),
};

function save(patch: Partial<UiState>): void {
  ui = { ...ui, ...patch };
  ipc.state = ui;
}

function showHeader(target: CompareTarget): void {
  el.title.textContent = `Compare: ${target.mode === 'image' ? target.imageName : target.dataName}`;
  el.subtitle.textContent = `A: ${target.a.name} · B: ${target.b.name} · differences are B − A`;
}

function setBusy(text: string | undefined): void {
  el.progress.hidden = text === undefined;
  el.status.textContent = text ?? '';
  for (const part of [el.imageMode, el.datasetMode]) part.setAttribute('aria-busy',
    text === undefined ? 'false' : 'true');
}

function reportRendered(): void {
  if (!view) return;
  ipc.sendCommand(DidRenderCommand, {
    mode: view.mode, map: view.mode === 'image' ? ui.map ?? null : null, cells,
    flips: view.mode === 'dataset' ? el.flips.querySelectorAll('li').length : 0,
  });
}

ipc.onNotification(DidStartNotification, ({ target }) => {
  showHeader(target);
  el.error.hidden = true;
  setBusy(target.mode === 'image'
    ? `Explaining ${target.imageName} with A and B…` : `Evaluating A and B on ${target.dataName}…`);
  save({ target });
});

ipc.onNotification(DidFailNotification, (failure: CompareFailure) => {
  showHeader(failure.target);
  setBusy(undefined);
  el.errorText.textContent = failure.cancelled ? 'The comparison was cancelled.' : failure.message;
  el.error.classList.toggle('info', failure.cancelled);
  el.error.hidden = false;
  save({ target: failure.target });
});

ipc.onNotification(DidCompareNotification, (next) => {
  view = next;
  showHeader(next.target);
  setBusy(undefined);
  el.error.hidden = true;
  save({ target: next.target });
  el.layerNote.hidden = false;
  el.layerNote.textContent = next.layers.note;
  el.imageMode.hidden = next.mode !== 'image';
  el.datasetMode.hidden = next.mode !== 'dataset';
  if (next.mode === 'image') renderImage(next);
  else renderDataset(next);
  reportRendered();
});

function renderImage(v: ImageCompareView): void {
  const ids = new Set(v.pairs.map((p) => p.id));
  const map = ui.map && ids.has(ui.map) ? ui.map : defaultPair(v)?.id;
  if (map !== undefined) save({ map });
  fillSelect(el.map, v.pairs.map((p) => ({ value: p.id, label: p.title })), ui.map ?? '');
  const labels = [...new Set([...v.a.report.model.labels, ...v.b.report.model.labels])];
  fillSelect(el.className, [{ value: '', label: 'Each model’s prediction' },
    ...labels.map((l) => ({ value: l, label: `${l} (both models)` }))], v.target.className ?? '');
  el.reading.hidden = false;
  const same = v.a.report.predicted.class === v.b.report.predicted.class;
  const predicts = (p: typeof v.a.report.predicted): string => `${p.class} (${p.probability.toFixed(2)})`;
  el.reading.textContent = `A predicts ${predicts(v.a.report.predicted)}, ` +
    `B predicts ${predicts(v.b.report.predicted)}${same ? ': they agree.' : '.'}`;
  el.classNote.hidden = v.note === null;
  el.classNote.textContent = v.note ?? '';
  el.opacity.value = String(Math.round(100 * (ui.opacity ?? 0.6)));
  el.opacityOut.value = `${el.opacity.value} %`;
  el.scores.replaceChildren(scoresTable(v));
  el.cosines.replaceChildren(cosineTable(v));
  cells = 0;
  loadPhoto(v.photoUri);
}

function redrawMaps(): void {
  if (view?.mode === 'image') drawMaps(view,
    { map: ui.map ?? '', opacity: ui.opacity ?? 0.6, photo: photo?.complete && photo.naturalWidth ? photo : null });
}

function loadPhoto(uri: string): void {
  const img = new Image();
  img.decoding = 'async';
  img.onload = img.onerror = () => {
    if (photo === img) redrawMaps();
  };
  photo = img;
  img.src = uri;
  redrawMaps();
}

function renderDataset(v: DatasetCompareView): void {
  el.reading.hidden = false;
  el.reading.textContent = v.reading;
  el.accuracy.replaceChildren(accuracyTable(v));
  const att = attCosTable(v);
  cells = att.cells;
  el.attTable.replaceChildren(att.table);
  const faithfulness = faithfulnessTable(v);
  el.faithCard.hidden = faithfulness === null;
  el.faithTable.replaceChildren(...(faithfulness ? [faithfulness] : []));
  const count = (kind: FlipView['kind']): number => v.flips.filter((f) => f.kind === kind).length;
  fillSelect(el.flipFilter, [
    { value: 'all', label: `All changed predictions (${v.flips.length})` },
    { value: 'right-to-wrong', label: `Right with A, wrong with B (${count('right-to-wrong')})` },
    { value: 'wrong-to-right', label: `Wrong with A, right with B (${count('wrong-to-right')})` },
    { value: 'changed', label: `Wrong with both, different classes (${count('changed')})` },
  ], ui.flips ?? 'all');
  renderFlips(v);
}

function renderFlips(v: DatasetCompareView): void {
  const filter = ui.flips ?? 'all';
  const flips = filter === 'all' ? v.flips : v.flips.filter((f) => f.kind === filter);
  el.flips.replaceChildren(flipList(flips, (path, side) => ipc.sendCommand(ExplainImageCommand, { path, side })));
}

el.map.addEventListener('change', () => {
  save({ map: selectValue(el.map) });
  redrawMaps();
  reportRendered();
});
el.className.addEventListener('change', () => {
  const value = selectValue(el.className);
  ipc.sendCommand(ExplainClassCommand, { className: value === '' ? null : value });
});
el.opacity.addEventListener('input', () => {
  save({ opacity: Number(el.opacity.value) / 100 });
  el.opacityOut.value = `${el.opacity.value} %`;
  redrawMaps();
});
el.flipFilter.addEventListener('change', () => {
  save({ flips: selectValue(el.flipFilter) as UiState['flips'] });
  if (view?.mode === 'dataset') renderFlips(view);
  reportRendered();
});
byId('retry').addEventListener('click', () => ipc.sendCommand(RetryCommand, undefined));
byId('legend-jet').style.background = jetGradient();
byId('legend-diff').style.background = differenceGradient();

ipc.sendCommand(ReadyCommand, undefined);
