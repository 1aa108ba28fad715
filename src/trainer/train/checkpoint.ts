/**
 * Checkpoints: one self-describing file per checkpoint, so a model can be evaluated, explained or resumed from
 * the file alone. Layout:
 *
 *   AU Lens checkpoint\n        magic line
 *   {…}\n                        JSON header on one line: run description, resume state, tensor index
 *   raw float32 little-endian    the tensors, back to back, at the offsets the index gives
 *   AU Lens sha256 <hex>\n       the SHA-256 of every byte before this line (version 2)
 *
 * The trailing digest covers the header too: one flipped bit in the stored normalisation is refused like one in a
 * weight. Version 1 files (a digest of the tensors only, in the header) still load, with a note saying so.
 *
 * Every way a file can be unusable gets a CheckpointError that names the file and the problem, because these
 * messages reach users choosing which checkpoint to load or resume.
 */
import { createHash } from 'node:crypto';
import type { AtomicFs } from '../io/atomicFile';
import { writeFileAtomic } from '../io/atomicFile';
import { FileReadError, READ_CAPS, readBoundedFile } from '../io/boundedRead';
import type { Normalisation } from '../models/modelInfo';
import type { Codebook } from '../science/codebook';
import { CodebookError, parseCodebook } from '../science/codebook';
import type { Expression } from '../science/labels';
import { fromLittleEndian, headerProblem, isRecord, littleEndianBytes, numel, shapeText } from './checkpointEncoding';

export const CHECKPOINT_MAGIC = 'AU Lens checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 2;
/** The trailer's start; 64 hex digits and a newline follow. */
const TRAILER_PREFIX = 'AU Lens sha256 ';
const TRAILER_BYTES = TRAILER_PREFIX.length + 64 + 1;

/** What loading a version 1 checkpoint adds to the messages of the command that loaded it. */
export const LEGACY_CHECKPOINT_NOTE =
  'older checkpoint format (version 1): its tensors are checksummed, its settings are not; saving it again (resume ' +
    'the run) adds a whole-file checksum';

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

/** A checkpoint as loaded: `note` says what the caller should tell the user about the file (an old format). */
export interface LoadedCheckpoint extends Checkpoint {
  readonly note?: string;
}

interface Header extends Omit<Checkpoint, 'tensors'> {
  readonly format: 'au-lens-checkpoint';
  readonly version: number;
  readonly tensorIndex: readonly IndexEntry[];
  readonly dataBytes: number;
  /** Version 1 only: the digest of the tensor data. */
  readonly dataSha256?: string;
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

/**
 * Writes a checkpoint atomically and durably (io/atomicFile.ts): on any error the previous checkpoint at `file` is
 * untouched. Returns the number of bytes written.
 */
export async function saveCheckpoint(file: string, checkpoint: Checkpoint, fs?: AtomicFs): Promise<number> {
  const { index, chunks, dataBytes } = tensorIndex(checkpoint);
  const header: Header = {
    format: 'au-lens-checkpoint',
    version: CHECKPOINT_FORMAT_VERSION,
    ...describe(checkpoint),
    createdAt: checkpoint.createdAt || new Date().toISOString(),
    tensorIndex: index,
    dataBytes,
  };
  // JSON.stringify without indentation escapes every newline inside strings, so the header is one line.
  const head = Buffer.from(`${CHECKPOINT_MAGIC}\n${JSON.stringify(header)}\n`, 'utf8');
  const hash = createHash('sha256').update(head);
  for (const chunk of chunks) hash.update(chunk);
  const trailer = Buffer.from(`${TRAILER_PREFIX}${hash.digest('hex')}\n`, 'utf8');
  return writeFileAtomic(file, [head, ...chunks, trailer], fs);
}

/** The whole file's digest when it ends with a trailer line; undefined when it has none (version 1, truncated). */
function trailerDigest(bytes: Buffer): string | undefined {
  if (bytes.length < TRAILER_BYTES) return undefined;
  const line = bytes.subarray(bytes.length - TRAILER_BYTES).toString('latin1');
  return /^AU Lens sha256 ([0-9a-f]{64})\n$/.exec(line)?.[1];
}

/** Reads and fully validates a checkpoint; any problem is a CheckpointError naming the file. */
export async function loadCheckpoint(file: string): Promise<LoadedCheckpoint> {
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(file, READ_CAPS.modelFile, 'a checkpoint');
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    const problem = error.reason === 'folder' ? 'is a folder, not a checkpoint file' : error.problem;
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
  // The digest first: a damaged header is reported as damage, not as whatever field the damage hit.
  const digest = trailerDigest(bytes);
  const body = digest === undefined ? bytes : bytes.subarray(0, bytes.length - TRAILER_BYTES);
  if (digest !== undefined && createHash('sha256').update(body).digest('hex') !== digest) {
    fail('damaged (checksum mismatch): the file changed after it was written; use another checkpoint');
  }
  const headerEnd = body.indexOf(0x0a, magic.length);
  if (headerEnd < 0) fail(`truncated (the header never ends: got ${bytes.length} bytes)`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.subarray(magic.length, headerEnd).toString('utf8'));
  } catch (error) {
    fail('corrupt header (not valid JSON)', error);
  }
  if (!isRecord(parsed) || parsed.format !== 'au-lens-checkpoint') {
    fail('corrupt header (not a checkpoint header object)');
  }
  const raw = parsed as Record<string, unknown>;
  const legacy = raw.version === 1;
  if (!legacy && raw.version !== CHECKPOINT_FORMAT_VERSION) {
    fail(
      `unsupported checkpoint format version ${String(raw.version).slice(0, 20)} (this AU Lens reads versions 1 ` +
        `and ${CHECKPOINT_FORMAT_VERSION}); use the AU Lens version that wrote it`,
    );
  }
  if (!legacy && digest === undefined) fail('truncated or damaged (its checksum line is missing)');
  const problem = headerProblem(raw) ?? (legacy && typeof raw.dataSha256 !== 'string' ? '"dataSha256" is missing' : '');
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
  const whole = (n: number): number => n + (legacy ? 0 : TRAILER_BYTES);
  if (body.length < expected) fail(`truncated (expected ${whole(expected)} bytes, got ${bytes.length})`);
  if (body.length > expected) {
    fail(
      `corrupt: ${body.length - expected} unexpected bytes after the last tensor (expected ${whole(expected)} bytes, ` +
        `got ${bytes.length})`,
    );
  }
  checkIndex(header, fail);
  const data = body.subarray(dataStart);
  if (legacy && createHash('sha256').update(data).digest('hex') !== header.dataSha256) {
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
  return { ...describe(header), codebook, tensors, ...(legacy && { note: LEGACY_CHECKPOINT_NOTE }) };
}

/** The tensors lie back to back, each as large as its shape says, and fill the data exactly. */
function checkIndex(header: Header, fail: (problem: string) => never): void {
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
}
