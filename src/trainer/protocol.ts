/**
 * The typed protocol between the extension host and the trainer worker. Both sides import this file, so a
 * renamed method or a changed payload is a compile error on both ends.
 */
import type { EvalRunProgress, EvalRunRequest, EvalRunResult } from './eval/evalFile';
import type { AuMapsReport, AuMapsRequest } from './explain/auMaps';
import type { ExplainRunRequest, ExplainRunResult } from './explain/panelData';
import type { ExportSummary } from './export/exportModel';
import type { ModelInspection, WriteSidecarRequest } from './import/inspectModel';
import type { TrainEvent, TrainOutcome } from './train/options';
import type { TrainRequest } from './train/trainRequest';

/**
 * Every method: its params, its result, and what it reports while it runs (`progress`; `never` for methods that
 * report nothing). Any request can be cancelled; what a cancelled request answers is up to its method.
 */
export interface WorkerMethods {
  'auMaps/draw': { params: AuMapsRequest; result: { png: Uint8Array; report: AuMapsReport }; progress: never };
  /** One photo for the explanation panel: with a model its report and maps, without one landmarks and AU maps. */
  'explain/run': { params: ExplainRunRequest; result: ExplainRunResult; progress: never };
  /** Evaluates a model on a dataset folder, writes eval-<folder>.json beside the checkpoint; cancel rejects. */
  'eval/run': { params: EvalRunRequest; result: EvalRunResult; progress: EvalRunProgress };
  /** An ONNX classifier trained elsewhere: its input, classes and candidate layers (au-lens inspect). */
  'import/inspect': { params: { model: string; size?: number }; result: ModelInspection; progress: never };
  /** Writes the sidecar config that makes such a model explainable (au-lens inspect --write-sidecar). */
  'import/writeSidecar': { params: WriteSidecarRequest; result: { path: string }; progress: never };
  /** Writes a checkpoint's model as a standalone ONNX file (au-lens export). */
  'export/onnx': { params: { checkpoint: string; out: string }; result: ExportSummary; progress: never };
  /**
   * Trains a run (keeping run.json and progress.jsonl in its folder up to date); progress is every TrainEvent.
   * Cancel stops after the current step and saves last.ckpt: the result then says 'cancelled'.
   */
  'train/run': { params: TrainRequest; result: TrainOutcome; progress: TrainEvent };
}

export type WorkerMethod = keyof WorkerMethods;
export type WorkerProgressOf<M extends WorkerMethod> = WorkerMethods[M]['progress'];

export interface WorkerRequest<M extends WorkerMethod = WorkerMethod> {
  readonly id: number;
  readonly method: M;
  readonly params: WorkerMethods[M]['params'];
  /**
   * Whether the files the request names may be parsed by native code (io/modelTrust.ts): the editor sends
   * vscode.workspace.isTrusted. Only `true` trusts; untrusted, no model file but an AU Lens checkpoint is opened.
   */
  readonly trusted: boolean;
}

/**
 * What went wrong, so the editor can offer the right way out (another image, another model, another face):
 * 'untrusted' — a model file other than a checkpoint in an untrusted workspace (offer Manage Workspace Trust);
 * 'locked' — the run folder is in use by another training (train/runLock.ts; show who holds it);
 * 'crashed' — the worker process died (a native crash while parsing a file); the next request starts a new one.
 */
export type WorkerErrorCode =
  | 'image'
  | 'no-face'
  | 'model'
  | 'device'
  | 'request'
  | 'untrusted'
  | 'locked'
  | 'crashed'
  | 'other';

/** An error crosses the process boundary as plain data; `kind` tells the user's mistake from a failure. */
export interface WorkerError {
  readonly kind: 'request' | 'failure';
  readonly message: string;
  readonly code?: WorkerErrorCode;
}

export type WorkerResponse<M extends WorkerMethod = WorkerMethod> =
  | { readonly id: number; readonly ok: true; readonly result: WorkerMethods[M]['result'] }
  | { readonly id: number; readonly ok: false; readonly error: WorkerError };

/** Sent by the worker while request `id` runs, as often as its method likes. */
export interface WorkerProgress<M extends WorkerMethod = WorkerMethod> {
  readonly id: number;
  readonly progress: WorkerProgressOf<M>;
}

/**
 * The abort reason of a host that goes away (its window closes or reloads) rather than a user who cancels: a training
 * run then stops as on cancel (last.ckpt saved) but leaves "running" in run.json, as a process that dies does, so
 * the next window marks it interrupted and offers to resume it.
 */
export const HOST_CLOSING = 'au-lens: the host is closing';

/** Sent by the host to cancel request `id`: the handler's AbortSignal fires, and the request still answers. */
export interface WorkerCancel {
  readonly cancel: number;
  /** The host is going away: the handler's signal is aborted with HOST_CLOSING as its reason. */
  readonly closing?: true;
}

export function isWorkerRequest(value: unknown): value is WorkerRequest {
  const v = value as Partial<WorkerRequest> | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'number' && typeof v.method === 'string';
}

export function isWorkerProgress(value: unknown): value is WorkerProgress {
  const v = value as Partial<WorkerProgress> | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'number' && 'progress' in v;
}

export function isWorkerCancel(value: unknown): value is WorkerCancel {
  const v = value as Partial<WorkerCancel> | null;
  return typeof v === 'object' && v !== null && typeof v.cancel === 'number';
}

export function isWorkerResponse(value: unknown): value is WorkerResponse {
  const v = value as Partial<WorkerResponse> | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'number' && typeof v.ok === 'boolean';
}

/**
 * The model the editor explains with until the user picks another: face-api's expression network, which ships
 * with the face-api package (MIT), so a fresh install explains without training. The trainer knows it by this
 * name (train/pretrained.ts DEFAULT_MODEL; a unit test keeps the two equal).
 */
export const BUILTIN_MODEL = 'faceapi-expression';
