/**
 * Writing and checking shard files (layout: shardFormat.ts). A shard is written under a temporary name and renamed
 * once whole and synced, so its real name never holds a half-written shard; a temporary file left by a killed
 * process is removed by the next build. A shard that is cut or damaged anyway (a disk fault, a bad copy) fails
 * checkShard and is rebuilt.
 */
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { ShardFooter, ShardShape } from './shardFormat';
import {
  checkPreamble, decodeFooter, encodeFooter, encodePreamble, PREAMBLE_BYTES, recordBytes, recordOffset,
  TRAILER_BYTES, trailerJsonLength,
} from './shardFormat';

const TEMP_SUFFIX = /\.(\d+)\.[0-9a-f]{8}\.tmp$/;

export class ShardWriter {
  private constructor(
    private readonly file: string,
    private readonly temp: string,
    private readonly handle: FileHandle,
    private readonly shape: ShardShape,
    private readonly preamble: Buffer,
  ) {}

  static async create(file: string, shape: ShardShape): Promise<ShardWriter> {
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'w');
    const preamble = encodePreamble(shape);
    try {
      await handle.write(preamble, 0, preamble.length, 0);
    } catch (err) {
      await handle.close();
      await rm(temp, { force: true });
      throw err;
    }
    return new ShardWriter(file, temp, handle, shape, preamble);
  }

  /** Writes the record of `slot`; records may come in any order, and slots never written stay empty. */
  async write(slot: number, record: Uint8Array): Promise<void> {
    // A record of another side would overwrite its neighbours and read back as damaged: refuse it here instead.
    if (record.length !== recordBytes(this.shape.side)) {
      throw new RangeError(`a record of ${record.length} bytes in a shard of side ${this.shape.side}`);
    }
    await this.handle.write(record, 0, record.length, recordOffset(this.shape.side, slot));
  }

  /** Closes the shard with its footer, syncs it and gives it its real name. */
  async finish(footer: ShardFooter): Promise<number> {
    const tail = encodeFooter(this.preamble, footer);
    const end = recordOffset(this.shape.side, this.shape.count);
    try {
      await this.handle.write(tail, 0, tail.length, end);
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
    await rename(this.temp, this.file);
    return end + tail.length;
  }

  /** Drops the unfinished shard. */
  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.temp, { force: true });
  }
}

export type ShardCheck =
  | { readonly state: 'valid'; readonly footer: ShardFooter; readonly bytes: number }
  | { readonly state: 'missing' }
  | { readonly state: 'invalid'; readonly reason: string };

async function readAt(handle: FileHandle, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** Whether `file` is the whole shard of `shape` for cache `key`: frame, size, footer and its checksum. */
export async function checkShard(file: string, shape: ShardShape, key: string): Promise<ShardCheck> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'invalid', reason: `cannot be opened (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const info = await handle.stat();
    const recordsEnd = recordOffset(shape.side, shape.count);
    if (!info.isFile() || info.size < recordsEnd + TRAILER_BYTES) return { state: 'invalid', reason: 'cut short' };
    const preamble = await readAt(handle, PREAMBLE_BYTES, 0);
    const bad = checkPreamble(preamble, shape);
    if (bad !== undefined) return { state: 'invalid', reason: bad };
    const length = trailerJsonLength(await readAt(handle, TRAILER_BYTES, info.size - TRAILER_BYTES));
    if (typeof length === 'string') return { state: 'invalid', reason: length };
    if (info.size !== recordsEnd + length + TRAILER_BYTES) return { state: 'invalid', reason: 'of the wrong size' };
    const trailer = await readAt(handle, TRAILER_BYTES, info.size - TRAILER_BYTES);
    const footer = decodeFooter(preamble, await readAt(handle, length, recordsEnd), trailer, key, shape.count);
    if (typeof footer === 'string') return { state: 'invalid', reason: footer };
    return { state: 'valid', footer, bytes: info.size };
  } finally {
    await handle.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporary shards of processes that are gone (killed mid-write); a live writer's stay. */
export async function removeStaleTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = TEMP_SUFFIX.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !processAlive(Number(pid))) {
      await rm(path.join(dir, name), { force: true });
    }
  }
}
