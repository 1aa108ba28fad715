/**
 * Reads the small JSON files a sweep is made of (the sweep file, run configs, the plan, the Slurm job list) only
 * when they are regular files under a size cap: a FIFO or a device named like one must not hang a runner, and a
 * huge file is a mistake, not a sweep.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export const MAX_JSON_BYTES = 8 * 1024 * 1024;

/** A file that is not there, not a regular file, too large or not JSON; the message names it. */
export class JsonFileError extends Error {
  override readonly name = 'JsonFileError';

  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

export async function readJsonFile(file: string, maxBytes = MAX_JSON_BYTES): Promise<unknown> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer before its type is seen.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(err as Error).message}`;
    throw new JsonFileError(message, code);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new JsonFileError(`${file} is not a regular file`);
    if (info.size > maxBytes) {
      throw new JsonFileError(`${file} is ${info.size} bytes, more than the ${maxBytes} a sweep's JSON file may have`);
    }
    const text = await handle.readFile('utf8');
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new JsonFileError(`${file} is not valid JSON (${(err as Error).message})`);
    }
  } finally {
    await handle.close();
  }
}
