/**
 * What the runs view shows of a checkpoint, from its one-line JSON header alone (train/checkpoint.ts): the
 * tensors after it are never read, so listing a folder of large checkpoints stays cheap.
 */
import { openRegularFile, READ_CAPS } from '../io/boundedRead';
import { CHECKPOINT_MAGIC } from './checkpoint';

export interface CheckpointSummary {
  readonly file: string;
  readonly preset: string;
  readonly labels: readonly string[];
  /** The aligned layers; the first is the one whose validation ATT-COS the trainer records. */
  readonly layers: readonly string[];
  readonly lambda: number;
  readonly epoch: number;
  /** The metrics record of the checkpoint's epoch (the last one), if any. */
  readonly valAccuracy: number | null;
  readonly valAttCos: number | null;
}

const CHUNK = 64 * 1024;

/** The header line; a named pipe called x.ckpt is refused before it is opened for reading (io/boundedRead.ts). */
async function headerText(file: string): Promise<string> {
  const { handle } = await openRegularFile(file);
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const buffer = Buffer.alloc(CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, length);
      if (bytesRead === 0) {
        const start = Buffer.concat(chunks).subarray(0, CHECKPOINT_MAGIC.length).toString('utf8');
        throw new Error(start === CHECKPOINT_MAGIC ? 'truncated (the header never ends)' : 'not an AU Lens checkpoint');
      }
      chunks.push(buffer.subarray(0, bytesRead));
      length += bytesRead;
      const all = Buffer.concat(chunks);
      const magicEnd = all.indexOf(0x0a);
      if (magicEnd >= 0 && all.subarray(0, magicEnd).toString('utf8') !== CHECKPOINT_MAGIC) {
        throw new Error('not an AU Lens checkpoint');
      }
      const end = magicEnd >= 0 ? all.indexOf(0x0a, magicEnd + 1) : -1;
      if (end >= 0) return all.subarray(magicEnd + 1, end).toString('utf8');
      if (length > READ_CAPS.checkpointHeader) throw new Error('not an AU Lens checkpoint (no header line)');
    }
  } finally {
    await handle.close();
  }
}

const numberOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The checkpoint's summary; throws an Error whose message says what is wrong with the file. */
export async function readCheckpointSummary(file: string): Promise<CheckpointSummary> {
  const header = JSON.parse(await headerText(file)) as Record<string, unknown>;
  const model = header['model'] as { preset?: unknown } | undefined;
  const metrics = Array.isArray(header['metrics']) ? (header['metrics'] as Record<string, unknown>[]) : [];
  const epoch = numberOrNull(header['epoch']) ?? 0;
  const last = [...metrics].reverse().find((m) => m['epoch'] === epoch) ?? metrics.at(-1);
  return {
    file,
    preset: typeof model?.preset === 'string' ? model.preset : '?',
    labels: Array.isArray(header['labels']) ? (header['labels'] as string[]) : [],
    layers: Array.isArray(header['layers']) ? (header['layers'] as string[]) : [],
    lambda: numberOrNull(header['lambda']) ?? 0,
    epoch,
    valAccuracy: numberOrNull(last?.['valAccuracy']),
    valAttCos: numberOrNull(last?.['valAttCos']),
  };
}
