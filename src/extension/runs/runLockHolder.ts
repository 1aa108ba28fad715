import { describeHolder, readRunLock } from '../../trainer/train/runLock';

/**
 * Who holds `folder`'s run lock, in words ("pid 7 on this host, started … by train"), or undefined when no training
 * may be running there (no lock, or a stale one: its process is gone). Resume and Delete Run ask it, Delete again
 * once confirmed. Plain node: the unit tests feed it lock files.
 */
export async function runLockHolder(folder: string): Promise<string | undefined> {
  const state = await readRunLock(folder).catch(() => undefined);
  if (state === undefined || state.stale) return undefined;
  // A lock read while its taker is still writing it is damaged only for a moment.
  return state.holder ? describeHolder(state.holder) : 'a training that is starting now';
}
