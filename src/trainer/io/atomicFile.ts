/**
 * Writes a file so that readers see either the old content or the whole new one, never a torn file, and so that
 * the new content survives a power cut once the call returns: a temp file in the target's folder (rename is only
 * atomic within one file system), fsync of the file, rename over the target, fsync of the folder. A crash before
 * the rename leaves the target as it was and a temp file behind, which the next write of the same target removes.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import * as path from 'node:path';
import { processAlive } from './liveProcess';

/** The slice of node:fs/promises that writeFileAtomic uses; tests inject failures (a full disk) through it. */
export interface AtomicFs {
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  open(file: string, flags: string): Promise<AtomicFileHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(file: string, options: { force: true }): Promise<void>;
  readdir(dir: string): Promise<string[]>;
}

export interface AtomicFileHandle {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

const tempPrefix = (file: string): string => `.${path.basename(file)}.`;

async function writeAll(handle: AtomicFileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    if (bytesWritten <= 0) throw new Error(`write made no progress after ${done} of ${bytes.length} bytes`);
    done += bytesWritten;
  }
}

/** Best effort: some platforms (Windows) cannot open a folder for fsync, and the data is already in place. */
async function syncFolder(fs: AtomicFs, dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The rename is done; only its durability across a crash is less certain.
  }
}

/** Removes the temp files of earlier writes of `file` whose writer is gone (a save killed mid-write). */
async function removeStaleTemps(fs: AtomicFs, file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = tempPrefix(file);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(/^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) {
      await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
    }
  }
}

/**
 * Writes `data` (one string or buffer, or buffers written back to back) to `file` atomically and durably. On any
 * error the temp file is removed and the previous content of `file` is untouched. Returns the bytes written.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array | readonly Uint8Array[],
  fs: AtomicFs = nodeFs,
): Promise<number> {
  const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  await removeStaleTemps(fs, file);
  const temp = path.join(dir, `${tempPrefix(file)}${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let bytes = 0;
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      for (const chunk of chunks) {
        await writeAll(handle, chunk);
        bytes += chunk.length;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncFolder(fs, dir);
  return bytes;
}
