/**
 * Mutation fuzzing of every parser a workspace file reaches (issue 18): checkpoints, ONNX files, sidecars, run
 * configs and codebooks are mutated from valid seeds by fast-check (seeded, so a failure replays and shrinks), and
 * each parser must answer within a bound with a result or its own clear error — never a hang, a TypeError or a
 * RangeError, never an allocation beyond its cap. ONNX files also go through ONNX Runtime's native parser inside
 * the worker's child process: a crash there may fail that case, but the caller must survive every one.
 * test/unit/fuzz.test.ts runs a few hundred cases in CI; scripts/fuzz.ts runs the full count and prints JSON.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { ModelFileError } from '../../src/trainer/export/modelDescription';
import { decodeWithData } from '../../src/trainer/import/externalData';
import { readSidecar } from '../../src/trainer/import/sidecarFile';
import { loadCodebook } from '../../src/trainer/io/codebookFile';
import { CodebookError } from '../../src/trainer/science/codebook';
import { CheckpointError, loadCheckpoint, saveCheckpoint } from '../../src/trainer/train/checkpoint';
import { readRunConfig, RunConfigError } from '../../src/trainer/train/runConfig';
import { WorkerClient, WorkerFailure, WorkerRequestError } from '../../src/trainer/workerClient';
import { smallCheckpoint } from '../helpers/smallCheckpoint';

/** One edit of a file's bytes; positions wrap around the current length. */
type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly byte: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'repeat'; readonly at: number; readonly length: number; readonly times: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0x0a, 0x22, 0x2c, 0x30, 0x39, 0x5b, 0x7b, 0x7d, 0xff) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }), times: fc.integer({ min: 2, max: 64 }) }),
);

/** One to four edits: most inputs are nearly valid, which reaches deep into each parser. */
export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

export function mutate(base: Uint8Array, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(base);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.op) {
      case 'flip': if (b.length > 0) b[at]! ^= 1 << m.bit; break;
      case 'set': if (b.length > 0) b[at] = m.byte; break;
      case 'insert': b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]); break;
      case 'delete': b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]); break;
      case 'truncate': b = b.subarray(0, at); break;
      case 'repeat': b = Buffer.concat([b.subarray(0, at), ...Array<Buffer>(m.times).fill(b.subarray(at, at + m.length)), b.subarray(at)]); break;
    }
  }
  return b;
}

/** A checkpoint mutated, then sealed again with a valid digest, so the checks behind the digest are reached. */
function reseal(bytes: Buffer): Buffer {
  const trailer = 'AU Lens sha256 '.length + 65;
  const body = bytes.subarray(0, Math.max(0, bytes.length - trailer));
  return Buffer.concat([body, Buffer.from(`AU Lens sha256 ${createHash('sha256').update(body).digest('hex')}\n`)]);
}

export interface TargetReport {
  readonly cases: number;
  readonly accepted: number;
  /** Refusals by error class. */
  readonly refused: Record<string, number>;
  /** Anything but the parser's own error, or a case over the time bound: each a failure. */
  readonly unexpected: readonly string[];
  readonly slowestMs: number;
  readonly totalMs: number;
  /** The most external + ArrayBuffer memory seen after a case, in MiB (the caps keep it bounded). */
  readonly peakBufferMiB: number;
}

interface Target {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<Buffer>;
  readonly fileName: string;
  readonly run: (file: string) => Promise<unknown>;
  readonly expected: (error: unknown) => boolean;
}

/** A case over this long is a hang (parsers of these small files answer in milliseconds). */
const HANG_MS = 10_000;

async function fuzzTarget(target: Target, dir: string, seed: number, numRuns: number): Promise<TargetReport> {
  const refused: Record<string, number> = {};
  const unexpected: string[] = [];
  let cases = 0;
  let accepted = 0;
  let slowest = 0;
  let peak = 0;
  const begun = performance.now();
  const file = path.join(dir, target.fileName);
  await fc.assert(
    fc.asyncProperty(target.arbitrary, async (bytes) => {
      cases++;
      await writeFile(file, bytes);
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hang: no answer in ${HANG_MS} ms`)), HANG_MS);
      });
      try {
        await Promise.race([target.run(file), hang]);
        accepted++;
      } catch (error) {
        if (target.expected(error)) {
          const name = (error as Error).name;
          refused[name] = (refused[name] ?? 0) + 1;
        } else {
          unexpected.push(`${(error as Error).name}: ${(error as Error).message.slice(0, 200)}`);
        }
      } finally {
        clearTimeout(timer);
      }
      slowest = Math.max(slowest, performance.now() - started);
      const memory = process.memoryUsage();
      peak = Math.max(peak, (memory.external + memory.arrayBuffers) / 2 ** 20);
      return true;
    }),
    { seed, numRuns, endOnFailure: true },
  );
  const totalMs = Math.round(performance.now() - begun);
  return { cases, accepted, refused, unexpected, slowestMs: Math.round(slowest), totalMs, peakBufferMiB: Math.round(peak) };
}

export interface NativeReport {
  readonly cases: number;
  readonly accepted: number;
  readonly refused: Record<string, number>;
  /** Worker processes that died (native crashes); each was restarted for the next case. */
  readonly crashed: number;
  /** The caller answered a plain request after every case and at the end. */
  readonly callerSurvived: boolean;
  readonly totalMs: number;
}

/** Mutated ONNX files through ONNX Runtime's native parser in the worker's child process (au-lens inspect). */
async function fuzzNative(worker: string, onnx: Uint8Array, dir: string, seed: number, numRuns: number): Promise<NativeReport> {
  const begun = performance.now();
  const client = new WorkerClient(worker, { trusted: () => true });
  const refused: Record<string, number> = {};
  let cases = 0;
  let accepted = 0;
  let crashed = 0;
  const file = path.join(dir, 'native.onnx');
  try {
    await fc.assert(
      fc.asyncProperty(mutationsArb, async (mutations) => {
        cases++;
        await writeFile(file, mutate(onnx, mutations));
        try {
          await client.request('import/inspect', { model: file });
          accepted++;
        } catch (error) {
          if (error instanceof WorkerFailure && error.code === 'crashed') crashed++;
          else if (error instanceof WorkerRequestError || error instanceof WorkerFailure) {
            refused[error.code] = (refused[error.code] ?? 0) + 1;
          } else throw error;
        }
        return true;
      }),
      { seed, numRuns, endOnFailure: true },
    );
    // The caller is alive (this code runs) and its worker answers after everything.
    await writeFile(file, onnx);
    const survived = await client.request('import/inspect', { model: file }).then(() => true, () => false);
    return { cases, accepted, refused, crashed, callerSurvived: survived, totalMs: Math.round(performance.now() - begun) };
  } finally {
    await client.dispose();
  }
}

export interface FuzzOptions {
  readonly seed: number;
  /** Cases per parser target. */
  readonly count: number;
  /** Cases through ONNX Runtime in the worker; 0 skips them. */
  readonly nativeCount: number;
  /** dist/worker.js, for the native cases. */
  readonly workerScript: string;
  /** The ONNX model to mutate (the peer fixture). */
  readonly onnxSeed: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly targets: Record<string, TargetReport>;
  readonly native: NativeReport | null;
  readonly totalCases: number;
  readonly failures: number;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'au-lens-fuzz-'));
  try {
    const ckptFile = path.join(dir, 'seed.ckpt');
    await saveCheckpoint(ckptFile, smallCheckpoint());
    const ckpt = await readFile(ckptFile);
    const onnx = await readFile(options.onnxSeed);
    const sidecar = Buffer.from(JSON.stringify({
      labels: ['neutral', 'happy', 'surprise', 'fear', 'anger', 'disgust', 'sad'],
      input: { size: 64, channels: 'RGB', scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      layers: [{ value: '/stages.2/Relu_output_0', name: 'stage2' }, { value: '/stages.3/Relu_output_0', name: 'stage3' }],
      camLayer: 'stage3', codebook: 'official-code', crop: 'paper',
    }, null, 2));
    const runConfig = Buffer.from(JSON.stringify({ data: 'data/ck48', out: 'runs/a', preset: 'tiny64', lambda: 4, epochs: 20, batch: 32, lr: 0.01, seed: 0, classes: ['happy', 'sad'], codebook: 'paper' }, null, 2));
    const codebook = await readFile(path.join(__dirname, '../../src/trainer/science/codebooks/paper.json'));
    const modelFile = path.join(dir, 'model.onnx');
    await writeFile(modelFile, onnx);
    const targets: Target[] = [
      { name: 'checkpoint', fileName: 'x.ckpt', arbitrary: mutationsArb.map((m) => mutate(ckpt, m)), run: loadCheckpoint, expected: (e) => e instanceof CheckpointError },
      { name: 'checkpoint-resealed', fileName: 'x.ckpt', arbitrary: mutationsArb.map((m) => reseal(mutate(ckpt, m))), run: loadCheckpoint, expected: (e) => e instanceof CheckpointError },
      { name: 'onnx', fileName: 'x.onnx', arbitrary: mutationsArb.map((m) => mutate(onnx, m)), run: async (f) => decodeWithData(await readFile(f), f), expected: (e) => e instanceof ModelFileError },
      { name: 'sidecar', fileName: 'model.au-lens.json', arbitrary: mutationsArb.map((m) => mutate(sidecar, m)), run: (f) => readSidecar(modelFile, f), expected: (e) => e instanceof ModelFileError },
      { name: 'run-config', fileName: 'x.au-lens-run.json', arbitrary: mutationsArb.map((m) => mutate(runConfig, m)), run: readRunConfig, expected: (e) => e instanceof RunConfigError },
      { name: 'codebook', fileName: 'x.codebook.json', arbitrary: mutationsArb.map((m) => mutate(codebook, m)), run: loadCodebook, expected: (e) => e instanceof CodebookError },
    ];
    const reports: Record<string, TargetReport> = {};
    for (const [i, target] of targets.entries()) {
      reports[target.name] = await fuzzTarget(target, dir, options.seed + i, options.count);
    }
    const native = options.nativeCount > 0 ? await fuzzNative(options.workerScript, onnx, dir, options.seed, options.nativeCount) : null;
    const totalCases = Object.values(reports).reduce((a, r) => a + r.cases, 0) + (native?.cases ?? 0);
    const failures = Object.values(reports).reduce((a, r) => a + r.unexpected.length, 0) + (native && !native.callerSurvived ? 1 : 0);
    return { seed: options.seed, targets: reports, native, totalCases, failures };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
