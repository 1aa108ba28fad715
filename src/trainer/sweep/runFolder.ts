/**
 * A sweep's run as its files give it: the run config (the ordinary *.au-lens-run.json) and what its run folder
 * holds, for runAction.ts to decide on; and the runs whose folders hold a run with other settings, which a sweep
 * refuses before it starts anything.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { parseRunConfig } from '../train/runConfig';
import { readRunRecord } from '../train/runLog';
import type { TrainRequest } from '../train/trainRequest';
import type { SweepRun } from './expand';
import { readJsonFile } from './readJson';
import type { RunFolderState } from './runAction';
import { describeAction, runAction } from './runAction';

export async function readRunConfigFile(file: string): Promise<TrainRequest> {
  return parseRunConfig(await readJsonFile(file), path.resolve(file));
}

/** run.json (throws when it is damaged) and whether last.ckpt is there. */
export async function readRunFolderState(folder: string): Promise<RunFolderState> {
  const record = await readRunRecord(folder);
  const hasLastCheckpoint = await stat(path.join(folder, 'last.ckpt')).then(() => true, () => false);
  return { ...(record && { record }), hasLastCheckpoint };
}

/** One line per run whose folder holds a run with other settings than the sweep now gives it. */
export async function conflictingRuns(runs: readonly Pick<SweepRun, 'name' | 'request'>[]): Promise<string[]> {
  const lines: string[] = [];
  for (const run of runs) {
    const state = await readRunFolderState(run.request.out).catch(() => undefined);
    const action = state && runAction(state, run.request, () => false);
    if (action?.kind === 'conflict') lines.push(describeAction(action, run.name));
  }
  return lines;
}
