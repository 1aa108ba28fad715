/**
 * The training dashboard's messages, imported by the host (src/extension/panels/dashboardPanel.ts) and the page
 * (src/webview/dashboard/main.ts). The host turns the trainer's events into these points, so the page needs no
 * trainer types and gets only what it draws.
 */
import { isNothing } from './guards';
import { IpcCommand, IpcNotification } from './ipc';

export type DashboardStatus = 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted' | 'unknown';

/** One training step. */
export interface StepPoint {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly ce: number;
  readonly align: number;
  readonly imagesPerSecond: number;
}

/** One finished epoch. */
export interface EpochPoint {
  readonly epoch: number;
  readonly epochs: number;
  readonly trainAccuracy: number;
  readonly valAccuracy: number | null;
  /** Validation ATT-COS per layer (six-class average). */
  readonly attCos: Readonly<Record<string, number | null>>;
  readonly seconds: number;
  readonly best: boolean;
}

export interface DashboardRun {
  readonly name: string;
  readonly folder: string;
  readonly status: DashboardStatus;
  /** Epochs the run trains in all (from run.json or its last epoch event). */
  readonly epochs: number | null;
  /** Preset, λ and layers, for the header. */
  readonly settings: string;
  /** Where it trains or last trained ("WebGPU · NVIDIA H200"), null when its log does not say (older runs). */
  readonly device: string | null;
  /**
   * A status line: preparation's progress ("finding faces and preparing AU maps (training set) 120/400 · 2 min 05 s
   * left"), a failed run's error.
   */
  readonly note: string | null;
  readonly canCancel: boolean;
  readonly canResume: boolean;
}

/** Everything the page shows, sent when it (re)loads or another run is shown. */
export interface DashboardSnapshot {
  readonly run: DashboardRun;
  readonly steps: readonly StepPoint[];
  readonly epochs: readonly EpochPoint[];
}

/** New points of the run shown, and its state now. */
export interface DashboardUpdate {
  readonly run: DashboardRun;
  readonly steps: readonly StepPoint[];
  readonly epochs: readonly EpochPoint[];
}

/** What the page keeps across reloads (getState/setState) and the serializer gets back. */
export interface DashboardPageState {
  readonly folder: string;
}

/**
 * Appends a point to a series ordered by `key`, first dropping the points it repeats: after an interruption a
 * resumed run trains again from its last checkpoint, and the later values are the run's. Host and page both keep
 * series this way.
 */
export function appendPoint<T>(series: T[], point: T, key: (p: T) => number): void {
  const k = key(point);
  while (series.length > 0 && key(series[series.length - 1]!) >= k) series.pop();
  series.push(point);
}

export const ReadyCommand = new IpcCommand<undefined>('dashboard', 'ready', isNothing);
export const CancelCommand = new IpcCommand<undefined>('dashboard', 'cancel', isNothing);
export const ResumeCommand = new IpcCommand<undefined>('dashboard', 'resume', isNothing);
export const DidLoadNotification = new IpcNotification<DashboardSnapshot>('dashboard', 'didLoad');
export const DidUpdateNotification = new IpcNotification<DashboardUpdate>('dashboard', 'didUpdate');
