/**
 * The training dashboard's page: a header with the run's status, epoch, best validation accuracy, ETA, speed and
 * device, Cancel / Resume, and three charts. The host sends the whole run on load (DidLoad) and new points as the
 * run goes (DidUpdate); the page keeps only the run folder (setState) so the serializer can bring it back.
 */
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import type { DashboardPageState, DashboardRun, EpochPoint, StepPoint } from '../protocol/dashboard';
import {
  appendPoint, CancelCommand, DidLoadNotification, DidUpdateNotification, ReadyCommand, ResumeCommand,
} from '../protocol/dashboard';
import { byId, percent } from '../shared/dom';
import { HostIpc } from '../shared/hostIpc';
import { Charts } from './charts';

const ipc = new HostIpc<DashboardPageState>();
const el = {
  title: byId('title'), status: byId('status'), settings: byId('settings'), cancel: byId('cancel'),
  resume: byId('resume'),
  epoch: byId('epoch'), best: byId('best'), eta: byId('eta'), speed: byId('speed'), device: byId('device'),
  note: byId('note'),
  empty: byId('empty'),
};
const charts = new Charts({ loss: byId('chart-loss'), val: byId('chart-val'), speed: byId('chart-speed') });
let run: DashboardRun | undefined;
let steps: StepPoint[] = [];
let epochs: EpochPoint[] = [];

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function renderHeader(): void {
  if (!run) return;
  el.title.textContent = run.name;
  el.status.textContent = run.status;
  el.status.className = `badge ${run.status}`;
  el.settings.textContent = run.settings;
  el.cancel.hidden = !run.canCancel;
  el.resume.hidden = !run.canResume;
  const total = run.epochs ?? epochs[epochs.length - 1]?.epochs ?? null;
  const lastStep = steps[steps.length - 1];
  const current = run.status === 'running'
    ? Math.max(lastStep?.epoch ?? 0, epochs.length) : epochs[epochs.length - 1]?.epoch ?? 0;
  el.epoch.textContent = total ? `${current} / ${total}` : String(current || '–');
  const best = epochs.filter((e) => e.best).pop();
  el.best.textContent = best ? `${percent(best.valAccuracy ?? best.trainAccuracy)} (epoch ${best.epoch})` : '–';
  const perEpoch = epochs.length > 0 ? epochs.reduce((a, e) => a + e.seconds, 0) / epochs.length : NaN;
  const done = epochs[epochs.length - 1]?.epoch ?? 0;
  el.eta.textContent = run.status === 'running' && total
    ? duration((total - done) * perEpoch) : run.status === 'completed' ? 'done' : '–';
  const recent = steps.slice(-20);
  el.speed.textContent = recent.length > 0
    ? `${Math.round(recent.reduce((a, s) => a + s.imagesPerSecond, 0) / recent.length)} img/s` : '–';
  el.device.textContent = run.device ?? '–';
  el.note.textContent = run.note ?? '';
  el.note.hidden = !run.note;
  el.note.classList.toggle('error', run.status === 'failed');
  el.empty.hidden = steps.length > 0 || Boolean(run.note);
}

ipc.onNotification(DidLoadNotification, (snapshot) => {
  run = snapshot.run;
  steps = [...snapshot.steps];
  epochs = [...snapshot.epochs];
  ipc.state = { folder: run.folder };
  renderHeader();
  charts.render(steps, epochs);
});

ipc.onNotification(DidUpdateNotification, (update) => {
  run = update.run;
  for (const s of update.steps) appendPoint(steps, s, (p) => p.step);
  for (const e of update.epochs) appendPoint(epochs, e, (p) => p.epoch);
  renderHeader();
  charts.update(steps, epochs);
});

el.cancel.addEventListener('click', () => ipc.sendCommand(CancelCommand, undefined));
el.resume.addEventListener('click', () => ipc.sendCommand(ResumeCommand, undefined));
// VS Code swaps the body's theme class (vscode-light / vscode-dark / vscode-high-contrast): recolour the charts.
new MutationObserver(() => charts.render(steps, epochs)).observe(document.body,
  { attributes: true, attributeFilter: ['class'] });
ipc.sendCommand(ReadyCommand, undefined);
