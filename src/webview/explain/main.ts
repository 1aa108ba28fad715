/**
 * The explanation panel's page. It draws what the host sends (DidExplainNotification) and keeps only UI state
 * (selected maps, opacity, split) in vscode.setState; after a reload the host explains again and re-sends the data.
 */
import type {
  ExplainFailure, ExplainPageState, ExplainTarget, ExplainView, ViewMap, ViewReport,
} from '../protocol/explain';
import {
  ACTION_LABELS, DidExplainNotification, DidFailNotification, DidRenderCommand, DidStartNotification,
  ExplainClassCommand, ExportJsonRequest, ExportPngRequest, ReadyCommand, RunActionCommand, SelectFaceCommand,
} from '../protocol/explain';
import { jetGradient } from '../shared/colormap';
import { byId, h } from '../shared/dom';
import { HostIpc } from '../shared/hostIpc';
import { fillSelect, selectValue } from '../shared/select';
import { el } from './elements';
import { FaceOverlay } from './overlay';
import { drawPhoto } from './photo';
import { faithfulnessSection } from './faithfulness';
import { classBars, energyBars, expressionList, metricsTables } from './sections';

interface UiState extends ExplainPageState {
  readonly landmarks?: boolean;
}

const ipc = new HostIpc<UiState>();
let ui: UiState = { opacity: 0.5, split: 0.5, landmarks: true, ...ipc.state };
let view: ExplainView | undefined;
let photo: HTMLImageElement | null = null;
let photoLoaded = false;
const overlay = new FaceOverlay(byId<HTMLCanvasElement>('overlay'));

function save(patch: Partial<UiState>): void {
  ui = { ...ui, ...patch };
  ipc.state = ui;
}

function mapsOf(v: ExplainView | undefined): readonly ViewMap[] {
  return v?.result.maps ?? [];
}

function findMap(id: string | null | undefined): ViewMap | undefined {
  return mapsOf(view).find((m) => m.id === id);
}

/** The map shown by default: the explained class's AU map without a model; with one, the CAM layer's attention. */
function defaultMap(v: ExplainView): string | undefined {
  const maps = v.result.maps;
  const preferred = v.result.kind === 'model' ? `attention:${v.result.report.model.camLayer}` : undefined;
  return (maps.find((m) => m.id === preferred) ?? maps[0])?.id;
}

function setBusy(target: ExplainTarget | undefined, text: string): void {
  el.progress.hidden = !target;
  el.status.textContent = text;
  el.content.setAttribute('aria-busy', target ? 'true' : 'false');
}

function showHeader(target: ExplainTarget): void {
  el.title.textContent = `Explain: ${target.imageName}`;
  el.subtitle.textContent = target.modelName
    ? `Model: ${target.modelName}` : 'No model selected: landmarks and the AU maps of every expression';
}

ipc.onNotification(DidStartNotification, ({ target }) => {
  showHeader(target);
  el.error.hidden = true;
  setBusy(target, `Explaining ${target.imageName}${target.modelName ? ` with ${target.modelName}` : ''}…`);
  save({ target });
});

ipc.onNotification(DidFailNotification, (failure: ExplainFailure) => {
  showHeader(failure.target);
  setBusy(undefined, failure.code === 'cancelled' ? 'Cancelled.' : '');
  el.errorText.textContent = failure.message;
  el.errorActions.replaceChildren(...failure.actions.map((action, i) => {
    const button = h('vscode-button', { secondary: i > 0 }, ACTION_LABELS[action]);
    button.addEventListener('click', () => ipc.sendCommand(RunActionCommand, { action }));
    return button;
  }));
  el.error.hidden = false;
  el.error.classList.toggle('info', failure.code === 'cancelled');
  // An old picture would mislead unless it is of the same image and model (a cancelled run, a bad class request).
  const stale = !view || view.target.image !== failure.target.image || view.target.model !== failure.target.model;
  if (stale || !['cancelled', 'request'].includes(failure.code)) {
    view = undefined;
    for (const part of [el.content, el.reading, el.noModel]) part.hidden = true;
    el.exportPng.setAttribute('disabled', '');
    el.exportJson.setAttribute('disabled', '');
  }
  save({ target: failure.target });
});

ipc.onNotification(DidExplainNotification, (next) => {
  const sameImage = view?.target.image === next.target.image && view.result.kind === next.result.kind;
  view = next;
  showHeader(next.target);
  setBusy(undefined, '');
  el.error.hidden = true;
  const ids = new Set(next.result.maps.map((m) => m.id));
  // Keep the user's choice of maps when it still exists (another class, another face); else the default.
  const mapA = ui.mapA && ids.has(ui.mapA) && sameImage ? ui.mapA : defaultMap(next);
  const mapB = ui.mapB && ids.has(ui.mapB) && sameImage ? ui.mapB : null;
  save({ target: next.target, ...(mapA !== undefined && { mapA }), mapB });
  render();
  loadPhoto(next.photoUri);
});

function loadPhoto(uri: string): void {
  photoLoaded = false;
  const img = new Image();
  // The webview's resource server allows any origin, so with CORS the canvas stays exportable (not tainted).
  img.crossOrigin = 'anonymous';
  img.decoding = 'async';
  img.onload = () => {
    if (photo !== img) return;
    photoLoaded = true;
    refreshFace();
  };
  img.onerror = () => {
    if (photo !== img) return;
    el.status.textContent = 'The photo could not be loaded into the panel; the maps are shown on grey.';
    refreshFace();
  };
  photo = img;
  img.src = uri;
  refreshFace();
}

/** Re-cuts the face from the photo and redraws everything that shows it. */
function refreshFace(): void {
  if (!view) return;
  const r = view.result;
  overlay.setFace({ photo: photoLoaded ? photo : null, frame: r.frame, scale: view.photoScale, face: r.faces[r.face] });
  drawOverlay();
  renderThumbs();
  reportRendered();
}

function reportRendered(): void {
  if (!view) return;
  ipc.sendCommand(DidRenderCommand, {
    kind: view.result.kind, photoLoaded, faces: view.result.faces.length, mapA: ui.mapA ?? '', mapB: ui.mapB ?? null,
    opacity: ui.opacity ?? 0.5, split: ui.split ?? 0.5, maps: view.result.maps.length,
  });
}

function drawOverlay(): void {
  const a = findMap(ui.mapA);
  const b = findMap(ui.mapB);
  overlay.draw({ a, b, opacity: ui.opacity ?? 0.5, split: b ? ui.split ?? 0.5 : 1, landmarks: ui.landmarks ?? true });
  overlay.canvas.setAttribute('aria-label',
    b ? `${a?.title ?? 'no map'} (left) and ${b.title} (right) over the face`
      : `${a?.title ?? 'no map'} over the face at ${Math.round(100 * (ui.opacity ?? 0.5))} % opacity`);
  el.overlayCaption.textContent = captionOf(a, b);
  el.split.disabled = !b;
  if (view?.result.kind === 'model') {
    renderEnergy(view.result.report, a);
    renderFaithfulness(view.result.report, a);
  }
}

function captionOf(a: ViewMap | undefined, b: ViewMap | undefined): string {
  const r = view?.result;
  if (!a || !r) return '';
  const metric = (m: ViewMap): string => {
    if (r.kind !== 'model') return '';
    const v = m.kind === 'attention' ? r.report.attCos[m.key] : m.kind === 'cam' ? r.report.camCos[m.key] : undefined;
    return v === undefined || v === null ? '' : ` (${m.kind === 'attention' ? 'ATT' : 'CAM'}-COS ${v.toFixed(2)})`;
  };
  return b ? `Left: ${a.title}${metric(a)} · right: ${b.title}${metric(b)}` : `${a.title}${metric(a)}`;
}

function renderThumbs(): void {
  el.thumbs.replaceChildren(...mapsOf(view).map((m) => {
    const selected = m.id === ui.mapA;
    const button = h('button', { type: 'button', class: selected ? 'thumb selected' : 'thumb',
      'aria-pressed': selected ? 'true' : 'false', title: m.title, 'aria-label': `Show ${m.title}` },
      overlay.thumbnail(m, 96), h('span', {}, m.title));
    button.addEventListener('click', () => selectMapA(m.id));
    return button;
  }));
}

function selectMapA(id: string): void {
  save({ mapA: id });
  fillSelect(el.mapA, mapsOf(view).map((m) => ({ value: m.id, label: m.title })), id);
  drawOverlay();
  renderThumbs();
  if (view?.result.kind === 'landmarks') renderExpressions();
  reportRendered();
}

function renderEnergy(report: ViewReport, a: ViewMap | undefined): void {
  // Shares exist for the CAM layer's attention, a ViT's rollout and each CAM; other maps fall back to the CAM
  // layer's attention.
  const key = a && a.key in report.perAuEnergyShare ? a.key : report.model.camLayer;
  const title = mapsOf(view).find((m) => m.key === key && m.kind !== 'au')?.title ?? key;
  el.energyTitle.textContent = `Energy share per AU · ${title}`;
  el.energy.replaceChildren(energyBars(report.perAuEnergyShare[key], title, report.explained));
}

/** Faithfulness keys are the panel's map ids (`attention:<layer>`, `cam:<method>`, `au`). */
function renderFaithfulness(report: ViewReport, a: ViewMap | undefined): void {
  const f = report.faithfulness;
  el.faithCard.hidden = !f;
  if (f) el.faith.replaceChildren(...faithfulnessSection(f, a?.id ?? '', `attention:${report.model.camLayer}`));
}

function renderExpressions(): void {
  if (view?.result.kind !== 'landmarks') return;
  el.codebook.textContent = `Codebook: ${view.result.codebook}. Select an expression to show its AU map.`;
  el.expressions.replaceChildren(expressionList(view.result.expressions, ui.mapA ?? '', selectMapA));
}

function render(): void {
  if (!view) return;
  const r = view.result;
  el.content.hidden = false;
  el.exportPng.removeAttribute('disabled');
  el.exportJson.removeAttribute('disabled');
  el.noModel.hidden = r.kind === 'model';

  drawPhoto(el.photo, {
    uri: view.photoUri, width: r.image.width, height: r.image.height, faces: r.faces, selected: r.face, frame: r.frame,
    onPick: (face) => ipc.sendCommand(SelectFaceCommand, { face }),
  });
  el.facePicker.hidden = r.faces.length < 2;
  fillSelect(el.faceSelect, r.faces.map((f) => ({ value: String(f.index),
    label: `Face ${f.index + 1} (score ${f.score.toFixed(2)})` })), String(r.face));

  const maps = r.maps.map((m) => ({ value: m.id, label: m.title }));
  fillSelect(el.mapA, maps, ui.mapA ?? '');
  fillSelect(el.mapB, [{ value: '', label: 'None (one map)' }, ...maps], ui.mapB ?? '');
  el.opacity.value = String(Math.round(100 * (ui.opacity ?? 0.5)));
  el.opacityOut.value = `${el.opacity.value} %`;
  el.split.value = String(Math.round(100 * (ui.split ?? 0.5)));
  el.splitOut.value = `${el.split.value} %`;
  el.landmarks.checked = ui.landmarks ?? true;

  el.scoresCard.hidden = r.kind !== 'model';
  el.metricsCard.hidden = r.kind !== 'model';
  el.energyCard.hidden = r.kind !== 'model';
  el.faithCard.hidden = r.kind !== 'model' || !r.report.faithfulness;
  el.expressionsCard.hidden = r.kind !== 'landmarks';
  if (r.kind === 'model') {
    const report = r.report;
    el.reading.hidden = false;
    el.reading.textContent = report.reading;
    const layerMaps = r.maps.filter((m) => m.kind !== 'au');
    const titles = new Map(layerMaps.map((m) => [m.key, m.title.replace(/ attention$/, '')]));
    el.bars.replaceChildren(classBars(report, (c) =>
      ipc.sendCommand(ExplainClassCommand,
        { className: c === report.predicted.class && !report.explained.requested ? null : c })));
    fillSelect(el.classSelect, [
      { value: '', label: `Predicted class (${report.predicted.class})` },
      ...report.model.labels.map((l) => ({ value: l, label: l })),
    ], report.explained.requested ? report.explained.class : '');
    el.metrics.replaceChildren(metricsTables(report, titles),
      report.cosineNote ? h('p', { class: 'note' }, report.cosineNote) : '');
  } else {
    el.reading.hidden = false;
    el.reading.textContent = `Face ${r.face + 1} of ${r.faces.length}: its 68 landmarks and the AU maps of ` +
      `${r.maps.length} expressions (${r.codebook} codebook).`;
    renderExpressions();
  }
  refreshFace();
}

// Controls. vscode-single-select fires 'change' from user input only.
el.faceSelect.addEventListener('change', () =>
  ipc.sendCommand(SelectFaceCommand, { face: Number(selectValue(el.faceSelect)) }));
el.classSelect.addEventListener('change', () => {
  const value = selectValue(el.classSelect);
  ipc.sendCommand(ExplainClassCommand, { className: value === '' ? null : value });
});
el.mapA.addEventListener('change', () => selectMapA(selectValue(el.mapA)));
el.mapB.addEventListener('change', () => {
  save({ mapB: selectValue(el.mapB) || null });
  drawOverlay();
  reportRendered();
});
el.opacity.addEventListener('input', () => {
  save({ opacity: Number(el.opacity.value) / 100 });
  el.opacityOut.value = `${el.opacity.value} %`;
  drawOverlay();
  reportRendered();
});
el.split.addEventListener('input', () => {
  save({ split: Number(el.split.value) / 100 });
  el.splitOut.value = `${el.split.value} %`;
  drawOverlay();
  reportRendered();
});
el.landmarks.addEventListener('change', () => {
  save({ landmarks: el.landmarks.checked });
  drawOverlay();
});

async function exportAs(kind: 'png' | 'json'): Promise<void> {
  if (!view) return;
  try {
    const result = kind === 'png'
      ? await ipc.sendRequest(ExportPngRequest, { png: await overlay.exportPng(exportCaption()) })
      : await ipc.sendRequest(ExportJsonRequest, undefined);
    if (result.path) el.status.textContent = `Saved ${result.path}`;
  } catch (err) {
    el.status.textContent = `Export failed: ${(err as Error).message}`;
  }
}

function exportCaption(): string[] {
  const a = findMap(ui.mapA);
  const b = findMap(ui.mapB);
  const lines = [captionOf(a, b)];
  if (view?.result.kind === 'model') lines.unshift(view.result.report.reading);
  if (view) lines.push(`${view.target.imageName} · face ${view.result.face + 1} · ` +
    `${view.target.modelName ?? 'no model'}`);
  return lines;
}

el.exportPng.addEventListener('click', () => void exportAs('png'));
el.exportJson.addEventListener('click', () => void exportAs('json'));
const buttons = [['select-model', 'selectModel'], ['nm-select', 'selectModel'], ['nm-train', 'trainModel']] as const;
for (const [id, action] of buttons) {
  byId(id).addEventListener('click', () => ipc.sendCommand(RunActionCommand, { action }));
}
byId('legend-bar').style.background = jetGradient();

ipc.sendCommand(ReadyCommand, undefined);
