import { availableParallelism } from 'node:os';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataRunConfig } from '../bench/dataBench';
import { runDataBench } from '../bench/dataBench';
import { runDataBenchSuite } from '../bench/dataBenchSuite';
import type { PresetName } from '../models/modelNames';
import type { CliIo } from './command';
import { defineCommand, parseIntFlag, requireFlag, UsageError } from './command';

export const BENCH_DATA_USAGE = `Usage: au-lens bench data --ck48 DIR [flags]

The data pipeline at scale (issue 16's targets): builds CK+48-derived folders of --small and --large images from
hard links in --work (landmarks come from the landmark cache, filled once from the originals), then for tiny64
(batch 32), resnet18 (batch 16) and resnet50 (batch 8, large only) measures, each run in its own process: the time
to prepare the images into the shard cache, img/s and the time the engine waited for data over --steps training
steps, and peak RSS; tiny64 also through the in-memory pipeline of before the cache, as the baseline. Also the
landmark pass's img/s with 1 and 2 workers on an empty cache. Prints one JSON object with every run and each target's
verdict. --work needs about (small + large) × 4·side² bytes for the largest preset's cache (13 GB at 50k for resnet50).

Flags:
  --ck48 DIR          CK+48 class folders (e.g. ../shared/data/ck48)
  --work DIR          scratch folder, removed at the end (default: <tmp>/au-lens-bench-data)
  --small N           (default 5000)
  --large N           (default 50000)
  --steps N           timed training steps per run (default 200)
  --models LIST       presets to run, comma-separated (default: tiny64,resnet18,resnet50); e.g. resnet50 alone with
                      fewer --steps, where only its peak RSS has a target
  --warmup N          untimed steps first (default 5)
  --threads N         engine threads (default: all cores, ${availableParallelism()} here)
  --workers N         preparation worker threads (default: all cores)
  --landmark-images N CK+48 images timed for landmarks with 1 and 2 workers (default: all; 0 skips)
  --cache DIR         an existing landmark cache to read and fill (default: a fresh one in --work)`;

/** `bench data --one CONFIG`: one run, in the child process the suite starts. */
async function one(config: string, io: CliIo): Promise<void> {
  io.out(JSON.stringify(await runDataBench(JSON.parse(config) as DataRunConfig)));
}

const BENCH_MODELS: readonly PresetName[] = ['tiny64', 'resnet18', 'resnet50'];

function parseModels(value: string | undefined): PresetName[] {
  if (value === undefined) return [...BENCH_MODELS];
  const models = value.split(',').map((m) => m.trim());
  const unknown = models.find((m) => !(BENCH_MODELS as readonly string[]).includes(m));
  if (unknown !== undefined) throw new UsageError(`--models: "${unknown}" is not one of ${BENCH_MODELS.join(', ')}`);
  return models as PresetName[];
}

export const benchDataCommand = defineCommand({
  name: 'bench data',
  summary: 'the data pipeline at scale: preparation, training steps, data waiting and peak RSS (issue 16)',
  usage: BENCH_DATA_USAGE,
  flags: {
    one: 'string', ck48: 'string', work: 'string', small: 'string', large: 'string', steps: 'string', warmup: 'string',
    threads: 'string', workers: 'string', 'landmark-images': 'string', cache: 'string', models: 'string',
  },
  async run(f, io) {
    if (f.one !== undefined) return one(f.one, io);
    const cores = availableParallelism();
    const small = parseIntFlag(f.small, 'small', 5000);
    const large = parseIntFlag(f.large, 'large', 50_000);
    const steps = parseIntFlag(f.steps, 'steps', 200);
    if (small < 1 || large < 1 || steps < 1) throw new UsageError('--small, --large and --steps must be at least 1');
    const result = await runDataBenchSuite({
      source: path.resolve(requireFlag(f.ck48, 'ck48')),
      work: path.resolve(f.work ?? path.join(os.tmpdir(), 'au-lens-bench-data')),
      small, large, steps, models: parseModels(f.models),
      warmup: parseIntFlag(f.warmup, 'warmup', 5),
      threads: Math.max(1, parseIntFlag(f.threads, 'threads', cores)),
      workers: Math.max(1, parseIntFlag(f.workers, 'workers', cores)),
      landmarkImages: parseIntFlag(f['landmark-images'], 'landmark-images', 1_000_000),
      ...(f.cache !== undefined && { cacheDir: path.resolve(f.cache) }),
      self: [process.execPath, ...process.execArgv, process.argv[1]!],
    }, (line) => io.err(line));
    io.out(JSON.stringify(result));
  },
});
