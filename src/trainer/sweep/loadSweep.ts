/**
 * A sweep file as every front end starts from it (the CLI's sweep commands, the editor's Run Sweep and sweep
 * panel): read under a size cap, parsed and expanded, with the file named in every error.
 */
import type { SweepRun } from './expand';
import { expandSweep } from './expand';
import { readJsonFile } from './readJson';
import type { Sweep } from './sweepFile';
import { parseSweepFile, SweepError } from './sweepFile';

export interface LoadedSweep {
  readonly sweep: Sweep;
  readonly runs: readonly SweepRun[];
}

/** Throws JsonFileError for a file that cannot be read, SweepError (message starting with the file) for a bad sweep. */
export async function loadSweep(file: string): Promise<LoadedSweep> {
  const json = await readJsonFile(file);
  try {
    const sweep = parseSweepFile(json, file);
    return { sweep, runs: expandSweep(sweep) };
  } catch (err) {
    if (err instanceof SweepError) throw new SweepError(err.field, `${file}: ${err.message}`);
    throw err;
  }
}
