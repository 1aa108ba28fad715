/**
 * What a run's TrainEvents mean for people: the one-line progress of the notification and the status bar, and the
 * points the dashboard draws. Pure (no VS Code), so it is tested without an editor.
 */
import { formatDuration } from '../../trainer/io/progressMeter';
import type { TrainEvent } from '../../trainer/train/options';
import type { EpochPoint, StepPoint } from '../../webview/protocol/dashboard';
import { appendPoint } from '../../webview/protocol/dashboard';

export interface RunProgress {
  readonly phase: 'starting' | 'preparing' | 'training' | 'stopping';
  /** 1-based epoch in progress (or last finished), 0 before the first step. */
  readonly epoch: number;
  readonly epochs: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss: number | null;
  readonly imagesPerSecond: number | null;
  /** Preparation's progress: which set, and whether faces are being found alone or samples prepared. */
  readonly prepared: Pick<Extract<TrainEvent, { type: 'prepare' }>, 'set' | 'phase' | 'done' | 'total' | 'etaSeconds'>
    | null;
  readonly bestValAccuracy: number | null;
  /** Where the run trains ("WebGPU · NVIDIA H200"), once it has said. */
  readonly device: string | null;
}

export function startProgress(epochs: number): RunProgress {
  return { phase: 'starting', epoch: 0, epochs, batch: 0, batches: 0, loss: null, imagesPerSecond: null, prepared: null,
    bestValAccuracy: null, device: null };
}

/** The progress after `event`. */
export function advance(p: RunProgress, event: TrainEvent): RunProgress {
  switch (event.type) {
    case 'prepare':
      return { ...p, phase: 'preparing', prepared: {
        set: event.set, phase: event.phase, done: event.done, total: event.total, etaSeconds: event.etaSeconds,
      } };
    case 'device':
      return { ...p, device: event.label };
    case 'step':
      return { ...p, phase: 'training', epoch: event.epoch, batch: event.batch, batches: event.batches,
        loss: event.loss, imagesPerSecond: event.imagesPerSecond };
    case 'epoch':
      return {
        ...p, epoch: event.epoch, epochs: event.epochs, batch: p.batches, loss: event.train.loss,
        bestValAccuracy: event.best ? (event.val?.accuracy ?? p.bestValAccuracy) : p.bestValAccuracy,
      };
    case 'stopped':
      return { ...p, phase: 'stopping' };
    default:
      return p;
  }
}

/** Share of the run done, 0–1: whole epochs plus the share of the current one. */
export function fractionDone(p: RunProgress): number {
  if (p.epochs <= 0 || p.phase !== 'training') return 0;
  const within = p.batches > 0 ? p.batch / p.batches : 0;
  return Math.min(1, Math.max(0, (p.epoch - 1 + within) / p.epochs));
}

/** "epoch 3/20 · loss 0.84 · 120 img/s", or what happens before the first step. */
export function progressText(p: RunProgress): string {
  if (p.phase === 'starting') return 'starting…';
  if (p.phase === 'preparing' && p.prepared) {
    const { set, phase, done, total, etaSeconds } = p.prepared;
    const eta = etaSeconds !== null && done < total ? ` · ${formatDuration(etaSeconds)} left` : '';
    // Faces are found on their own first only when the detector cannot run on the workers; otherwise with each sample.
    const what = phase === 'landmarks' ? 'finding faces' : 'finding faces and preparing AU maps';
    return `${what} (${set === 'train' ? 'training' : 'validation'} set) ${done}/${total}${eta}`;
  }
  if (p.phase === 'stopping') return 'stopping…';
  const parts = [`epoch ${p.epoch}/${p.epochs}`];
  if (p.loss !== null) parts.push(`loss ${p.loss.toFixed(2)}`);
  if (p.imagesPerSecond !== null) parts.push(`${Math.round(p.imagesPerSecond)} img/s`);
  return parts.join(' · ');
}

export function stepPoint(e: Extract<TrainEvent, { type: 'step' }>): StepPoint {
  return { step: e.step, epoch: e.epoch, loss: e.loss, ce: e.ce, align: e.align, imagesPerSecond: e.imagesPerSecond };
}

export function epochPoint(e: Extract<TrainEvent, { type: 'epoch' }>): EpochPoint {
  return { epoch: e.epoch, epochs: e.epochs, trainAccuracy: e.train.accuracy, valAccuracy: e.val?.accuracy ?? null,
    attCos: e.val?.attCos ?? {}, seconds: e.seconds, best: e.best };
}

/** Where a logged run last trained (a resumed run may have moved), or null before it said. */
export function deviceOf(events: readonly TrainEvent[]): string | null {
  let device: string | null = null;
  for (const e of events) if (e.type === 'device') device = e.label;
  return device;
}

/** The dashboard's series of a logged run. */
export function pointsOf(events: readonly TrainEvent[]): { steps: StepPoint[]; epochs: EpochPoint[] } {
  const steps: StepPoint[] = [];
  const epochs: EpochPoint[] = [];
  for (const e of events) {
    if (e.type === 'step') appendPoint(steps, stepPoint(e), (p) => p.step);
    else if (e.type === 'epoch') appendPoint(epochs, epochPoint(e), (p) => p.epoch);
  }
  return { steps, epochs };
}
