/**
 * Prepared samples read back from the shard cache, one record per positioned read: memory holds the samples'
 * labels and names, never their pixels. Reads are synchronous: a record is a few kilobytes from the page cache,
 * and the readers are the loader's slices and its worker threads, which have nothing else to do meanwhile.
 */
import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { TransformInput } from '../augment';
import type { SampleStore } from '../sampleStore';
import type { ShardStoreDescriptor } from './shardFormat';
import { decodeRecord, recordBytes, recordOffset, shardFileName } from './shardFormat';

/** Files kept open per reader; older ones are closed (a 290k-image cache at 224 px has over a thousand shards). */
const OPEN_FILES = 32;

/** A damaged record found while reading: the shard is removed, so the next run rebuilds it. */
export class DamagedCacheError extends Error {
  override readonly name = 'DamagedCacheError';
}

export class ShardReader {
  private readonly handles = new Map<number, number>();
  private readonly buffer: Uint8Array;

  constructor(readonly descriptor: ShardStoreDescriptor) {
    this.buffer = new Uint8Array(recordBytes(descriptor.side));
  }

  /** Record `record` of the prepared set. The rgb view is valid until the next read. */
  read(record: number): TransformInput & { label: number } {
    const { side, perShard, dir } = this.descriptor;
    const shard = Math.floor(record / perShard);
    const fd = this.handle(shard);
    const bytesRead = readSync(fd, this.buffer, 0, this.buffer.length, recordOffset(side, record % perShard));
    const decoded = bytesRead === this.buffer.length ? decodeRecord(side, this.buffer) : 'a record cut short';
    if (typeof decoded === 'string') {
      const file = path.join(dir, shardFileName(shard));
      this.close();
      rmSync(file, { force: true });
      throw new DamagedCacheError(`the prepared-sample cache file ${file} holds ${decoded}; it was removed, so ` +
        'running again rebuilds it');
    }
    return { side, ...decoded };
  }

  close(): void {
    for (const fd of this.handles.values()) closeSync(fd);
    this.handles.clear();
  }

  private handle(shard: number): number {
    let fd = this.handles.get(shard);
    if (fd !== undefined) {
      this.handles.delete(shard);
    } else {
      fd = openSync(path.join(this.descriptor.dir, shardFileName(shard)), 'r');
      if (this.handles.size >= OPEN_FILES) {
        const [oldest, oldFd] = this.handles.entries().next().value as [number, number];
        closeSync(oldFd);
        this.handles.delete(oldest);
      }
    }
    this.handles.set(shard, fd);
    return fd;
  }
}

/** The usable samples of a prepared set (unreadable ones left out), in the set's order. */
export interface ShardEntries {
  /** Record of each sample in the prepared set. */
  readonly records: Uint32Array;
  readonly labels: Uint16Array;
  readonly hasAu: Uint8Array;
  readonly names: readonly string[];
}

export class ShardStore implements SampleStore {
  private readonly reader: ShardReader;

  constructor(readonly descriptor: ShardStoreDescriptor, private readonly entries: ShardEntries) {
    this.reader = new ShardReader(descriptor);
  }

  get length(): number {
    return this.entries.records.length;
  }

  label(index: number): number {
    return this.entries.labels[index]!;
  }

  hasAu(index: number): boolean {
    return this.entries.hasAu[index] === 1;
  }

  name(index: number): string {
    return this.entries.names[index]!;
  }

  record(index: number): number {
    return this.entries.records[index]!;
  }

  read(index: number): TransformInput {
    return this.reader.read(this.record(index));
  }

  close(): void {
    this.reader.close();
  }
}
