/**
 * What a sweep does with one of its run folders, from what the folder holds: nothing when the run completed,
 * resume when it stopped after a checkpoint, start it when it has none, and keep out while another process
 * trains it. Runners decide with it before they start a task, and the task again when it starts (Slurm may start
 * it much later).
 *
 * "Another process trains it" is read from run.json: "running" under a pid alive on this machine. That cannot see
 * a task on another node; the run lock of the hardening work (run.lock: pid, host, start, taken atomically by the
 * trainer) will answer for every machine, and `busy` should then come from it.
 */
import type { RunRecord } from '../train/runLog';
import type { TrainRequest } from '../train/trainRequest';

export type RunAction =
  | { readonly kind: 'done' }
  | { readonly kind: 'busy'; readonly pid: number }
  | { readonly kind: 'resume'; readonly why: string }
  /** `clear`: the folder holds the run.json of an attempt that saved no checkpoint, which a new run replaces. */
  | { readonly kind: 'new'; readonly clear: boolean }
  | { readonly kind: 'conflict'; readonly differences: readonly string[] };

export interface RunFolderState {
  /** run.json, when the folder has one. */
  readonly record?: RunRecord;
  readonly hasLastCheckpoint: boolean;
}

/** Settings a run keeps for its life; `threads` is left out: it changes speed only, and a task may get other CPUs. */
const KEPT = [
  'data', 'preset', 'init', 'lambda', 'layers', 'batch', 'lr', 'weightDecay', 'seed', 'classes', 'codebook',
  'subjectPattern', 'split', 'classWeights', 'recipe',
] as const;

const shown = (v: unknown): string => (v === undefined ? 'default' : JSON.stringify(v));

/**
 * How the run in the folder differs from the run its config asks for; `epochs` only where the config asks for
 * fewer than the run has (more extends the run by resuming it).
 */
export function settingsDifferences(record: RunRecord, request: TrainRequest): string[] {
  const asked = request as unknown as Record<string, unknown>;
  const had = record.settings as unknown as Record<string, unknown>;
  const differences = KEPT.filter((k) => JSON.stringify(had[k]) !== JSON.stringify(asked[k]))
    .map((k) => `${k} ${shown(had[k])} → ${shown(asked[k])}`);
  if (request.epochs !== undefined && request.epochs < record.epochs.total) {
    differences.push(`epochs ${record.epochs.total} → ${request.epochs}`);
  }
  return differences;
}

export function runAction(state: RunFolderState, request: TrainRequest, alive: (pid: number) => boolean): RunAction {
  const { record, hasLastCheckpoint } = state;
  if (record?.status === 'running' && alive(record.pid)) return { kind: 'busy', pid: record.pid };
  if (record) {
    const differences = settingsDifferences(record, request);
    if (differences.length > 0) return { kind: 'conflict', differences };
  }
  if (record?.status === 'completed') {
    const more = request.epochs !== undefined && request.epochs > record.epochs.total;
    if (!more) return { kind: 'done' };
    return { kind: 'resume', why: `to extend it from ${record.epochs.total} to ${request.epochs} epochs` };
  }
  if (hasLastCheckpoint) {
    const done = record ? `${record.epochs.done} of ${record.epochs.total} epochs` : 'its last.ckpt';
    const how = record?.status === 'running' ? 'was interrupted' : `is ${record?.status ?? 'unfinished'}`;
    return { kind: 'resume', why: `the run ${how} (${done})` };
  }
  return { kind: 'new', clear: record !== undefined };
}

/** The action as a log line. */
export function describeAction(action: RunAction, name: string): string {
  switch (action.kind) {
    case 'done': return `${name}: completed already; nothing to do`;
    case 'busy': return `${name}: process ${action.pid} on this machine is training it; left alone`;
    case 'resume': return `${name}: resuming, ${action.why}`;
    case 'new': return `${name}: ${action.clear ? 'starting again (no checkpoint from its last attempt)' : 'starting'}`;
    case 'conflict': return `${name}: the run folder holds a run with other settings ` +
      `(${action.differences.join('; ')}); delete that run folder, or give the sweep another "out"`;
  }
}
