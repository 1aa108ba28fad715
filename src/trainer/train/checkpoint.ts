/**
 * Checkpoints: one self-describing file per checkpoint, so a model can be evaluated, explained or resumed from
 * the file alone. Layout:
 *
 *   AU Lens checkpoint\n        magic line
 *   {…}\n                        JSON header on one line: run description, resume state, tensor index
 *   raw float32 little-endian    the tensors, back to back, at the offsets the index gives
 *
 * Every way a file can be unusable gets a CheckpointError that names the file and the problem, because these
 * messages reach users choosing which checkpoint to load or resume.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import * as path from 'node:path';
import type { Normalisation } from '../models/modelInfo';
import type { Codebook } from '../science/codebook';
import { CodebookError, parseCodebook } from '../science/codebook';
import type { Expression } from '../science/labels';
import { fromLittleEndian, headerProblem, isRecord, littleEndianBytes, numel, shapeText } from './checkpointEncoding';

export const CHECKPOINT_MAGIC = 'AU Lens checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Model parameters and running statistics (state_dict names), and the optimiser's momentum buffers. */
export type TensorGroup = 'model' | 'momentum';

export interface CheckpointTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** What resuming needs besides the tensors. */
export interface OptimizerState {
  /** The learning rate in force when the checkpoint was written. */
  readonly lr: number;
  /** How many times the learning-rate schedule has stepped. */
  readonly scheduleStep: number;
  /** The run's seed; the data order and augmentation streams are derived from (seed, epoch, position). */
  readonly seed: number;
  /** Batches of the current epoch already consumed (0 at an epoch boundary). */
  readonly batchInEpoch: number;
  /** The best model-selection score so far, or null before the first evaluation. */
  readonly best: {
    readonly metric: string;
    readonly value: number;
    readonly epoch: number;
    readonly step: number;
  } | null;
  /** Optimiser settings and anything else the trainer wants back (momentum, nesterov, weight decay…). */
  readonly settings?: { readonly [key: string]: JsonValue };
}

export interface Checkpoint {
  readonly model: { readonly preset: string; readonly numClasses: number; readonly inputSize: number };
  /** Class order: output k of the network is labels[k]. */
  readonly labels: readonly Expression[];
  readonly codebook: Codebook;
  /** Weight of the attention-alignment loss. */
  readonly lambda: number;
  /** The layers whose attention is aligned with the AU maps. */
  readonly layers: readonly string[];
  readonly normalisation: Normalisation;
  /** manifestHash of the training data. */
  readonly dataManifestHash: string;
  /** Completed epochs. */
  readonly epoch: number;
  /** Optimiser steps taken. */
  readonly step: number;
  readonly optimizer: OptimizerState;
  /** One record per evaluation (epoch, losses, accuracies…), oldest first. */
  readonly metrics: readonly { readonly [key: string]: JsonValue }[];
  /** ISO 8601; saveCheckpoint fills it in when empty. */
  readonly createdAt: string;
  readonly tensors: { readonly model: readonly CheckpointTensor[]; readonly momentum: readonly CheckpointTensor[] };
}

interface IndexEntry {
  readonly group: TensorGroup;
  readonly name: string;
  readonly shape: readonly number[];
  /** Byte offset from the start of the tensor data. */
  readonly offset: number;
  readonly bytes: number;
}

interface Header extends Omit<Checkpoint, 'tensors'> {
  readonly format: 'au-lens-checkpoint';
  readonly version: number;
  readonly tensorIndex: readonly IndexEntry[];
  readonly dataBytes: number;
  readonly dataSha256: string;
}

/** A checkpoint that does not fit the run (another preset, other tensors); the message names the first difference. */
export class CheckpointMismatchError extends Error {
  override readonly name = 'CheckpointMismatchError';
}

/** A checkpoint file that cannot be used; `problem` is the sentence after the file name. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';

  constructor(readonly file: string, readonly problem: string, cause?: unknown) {
    super(`${file}: ${problem}`, cause === undefined ? undefined : { cause });
  }
}

/** The slice of node:fs/promises that saveCheckpoint uses; tests inject failures through it. */
export interface CheckpointFs {
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  open(file: string, flags: string): Promise<CheckpointFileHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(file: string, options: { force: true }): Promise<void>;
}

export interface CheckpointFileHandle {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Everything but the tensors, field by field, so neither file nor object picks up stray keys. */
function describe(c: Omit<Checkpoint, 'tensors'>): Omit<Checkpoint, 'tensors'> {
  return {
    model: c.model,
    labels: c.labels,
    codebook: c.codebook,
    lambda: c.lambda,
    layers: c.layers,
    normalisation: c.normalisation,
    dataManifestHash: c.dataManifestHash,
    epoch: c.epoch,
    step: c.step,
    optimizer: c.optimizer,
    metrics: c.metrics,
    createdAt: c.createdAt,
  };
}

/** Checks the tensors before anything is written, so a bad checkpoint never replaces a good one. */
function tensorIndex(checkpoint: Checkpoint): { index: IndexEntry[]; chunks: Uint8Array[]; dataBytes: number } {
  const index: IndexEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const group of ['model', 'momentum'] as const) {
    const seen = new Set<string>();
    for (const t of checkpoint.tensors[group]) {
      if (seen.has(t.name)) throw new RangeError(`tensor "${t.name}" appears twice among the ${group} tensors`);
      seen.add(t.name);
      if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new RangeError(`tensor "${t.name}" has an invalid shape ${shapeText(t.shape)}`);
      }
      if (numel(t.shape) !== t.data.length) {
        throw new RangeError(
          `tensor "${t.name}" has shape ${shapeText(t.shape)} (${numel(t.shape)} values) but ${t.data.length} values`,
        );
      }
      index.push({ group, name: t.name, shape: [...t.shape], offset, bytes: t.data.byteLength });
      chunks.push(littleEndianBytes(t.data));
      offset += t.data.byteLength;
    }
  }
  return { index, chunks, dataBytes: offset };
}

async function writeAll(handle: CheckpointFileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    if (bytesWritten <= 0) throw new Error(`write made no progress after ${done} of ${bytes.length} bytes`);
    done += bytesWritten;
  }
}

/**
 * Writes a checkpoint atomically: a temp file in the target's folder, fsync, rename over the target, then an
 * fsync of the folder so the rename survives a power cut. On any error the temp file is removed and the previous
 * checkpoint at `file` is untouched. Returns the number of bytes written.
 */
export async function saveCheckpoint(file: string, checkpoint: Checkpoint, fs: CheckpointFs = nodeFs): Promise<number> {
  const { index, chunks, dataBytes } = tensorIndex(checkpoint);
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  const header: Header = {
    format: 'au-lens-checkpoint',
    version: CHECKPOINT_FORMAT_VERSION,
    ...describe(checkpoint),
    createdAt: checkpoint.createdAt || new Date().toISOString(),
    tensorIndex: index,
    dataBytes,
    dataSha256: hash.digest('hex'),
  };
  // JSON.stringify without indentation escapes every newline inside strings, so the header is one line.
  const head = Buffer.from(`${CHECKPOINT_MAGIC}\n${JSON.stringify(header)}\n`, 'utf8');

  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await writeAll(handle, head);
      for (const chunk of chunks) await writeAll(handle, chunk);
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
  return head.length + dataBytes;
}

/** Best effort: some platforms (Windows) cannot open a folder for fsync, and the data is already in place. */
async function syncFolder(fs: CheckpointFs, dir: string): Promise<void> {
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

/** Reads and fully validates a checkpoint; any problem is a CheckpointError naming the file. */
export async function loadCheckpoint(file: string): Promise<Checkpoint> {
  let bytes: Buffer;
  try {
    bytes = await nodeFs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a folder, not a checkpoint file'
          : `cannot read the file (${code ?? String(error)})`;
    throw new CheckpointError(file, problem, error);
  }
  const fail: (problem: string, cause?: unknown) => never = (problem, cause) => {
    throw new CheckpointError(file, problem, cause);
  };

  const magic = Buffer.from(`${CHECKPOINT_MAGIC}\n`, 'utf8');
  if (bytes.length === 0) fail('empty file (0 bytes)');
  if (bytes.length < magic.length && magic.subarray(0, bytes.length).equals(bytes)) {
    fail(`truncated (expected more than ${magic.length} bytes, got ${bytes.length})`);
  }
  if (!bytes.subarray(0, magic.length).equals(magic)) {
    fail(`not an AU Lens checkpoint (it does not start with "${CHECKPOINT_MAGIC}")`);
  }
  const headerEnd = bytes.indexOf(0x0a, magic.length);
  if (headerEnd < 0) fail(`truncated (the header never ends: got ${bytes.length} bytes)`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.subarray(magic.length, headerEnd).toString('utf8'));
  } catch (error) {
    fail(`corrupt header (${(error as Error).message})`, error);
  }
  if (!isRecord(parsed) || parsed.format !== 'au-lens-checkpoint') {
    fail('corrupt header (not a checkpoint header object)');
  }
  const raw = parsed as Record<string, unknown>;
  if (raw.version !== CHECKPOINT_FORMAT_VERSION) {
    fail(
      `unsupported checkpoint format version ${String(raw.version)} (this AU Lens reads version ` +
        `${CHECKPOINT_FORMAT_VERSION}); use the AU Lens version that wrote it`,
    );
  }
  const problem = headerProblem(raw);
  if (problem) fail(`corrupt header (${problem})`);
  const header = raw as unknown as Header;
  let codebook: Codebook;
  try {
    codebook = parseCodebook(header.codebook, 'codebook');
  } catch (error) {
    if (!(error instanceof CodebookError)) throw error;
    return fail(`corrupt header (${error.message})`, error);
  }

  const dataStart = headerEnd + 1;
  const expected = dataStart + header.dataBytes;
  if (bytes.length < expected) fail(`truncated (expected ${expected} bytes, got ${bytes.length})`);
  if (bytes.length > expected) {
    fail(
      `corrupt: ${bytes.length - expected} unexpected bytes after the last tensor (expected ${expected} bytes, got ` +
        `${bytes.length})`,
    );
  }

  let end = 0;
  for (const e of header.tensorIndex) {
    const need = numel(e.shape) * 4;
    if (e.bytes !== need) {
      fail(
        `tensor size mismatch: "${e.name}" of shape ${shapeText(e.shape)} needs ${need} bytes, the index says ` +
          `${e.bytes}`,
      );
    }
    if (e.offset !== end) {
      fail(
        `tensor size mismatch: "${e.name}" starts at byte ${e.offset}, expected ${end} (tensors are stored back to ` +
          `back)`,
      );
    }
    end += e.bytes;
  }
  if (end !== header.dataBytes) {
    fail(`tensor size mismatch: the tensors take ${end} bytes, the header says ${header.dataBytes}`);
  }
  const data = bytes.subarray(dataStart);
  if (createHash('sha256').update(data).digest('hex') !== header.dataSha256) {
    fail('corrupt tensor data (checksum mismatch); the file was damaged after it was written');
  }

  const tensors: { model: CheckpointTensor[]; momentum: CheckpointTensor[] } = { model: [], momentum: [] };
  for (const e of header.tensorIndex) {
    tensors[e.group].push({
      name: e.name,
      shape: e.shape,
      data: fromLittleEndian(data.subarray(e.offset, e.offset + e.bytes)),
    });
  }
  return { ...describe(header), codebook, tensors };
}
