import type { BenchMode } from '../bench/runBench';
import { DEFAULT_BATCH, runBench } from '../bench/runBench';
import { isPresetName, isVitName, PRESET_NAMES, VIT_NAMES } from '../models/modelNames';
import { BENCH_DATA_USAGE, benchDataCommand } from './benchData';
import type { Command } from './command';
import { defineCommand, parseIntFlag, requireFlag, UsageError } from './command';

const MODELS = [...PRESET_NAMES, ...VIT_NAMES];

export const BENCH_DEFAULTS = { threads: 1, steps: 5, warmup: 2, reps: 3 } as const;

const MODEL_USAGE = `Usage: au-lens bench train|infer --model NAME [flags]

Measures training-step or inference throughput on synthetic data, as the PyTorch peer's bench.py does, and
prints one JSON line: where it ran ("device_name": "WebGPU · NVIDIA H200"), img/s min / median / max over the
repetitions, GFLOP/s (conv + linear, 2·MAC; a training step counts 3× the forward), peak RSS in MB, and how many
CPUs other processes used during each repetition.
scripts/bench/bench-vs-torch.sh runs it beside the peer.

Flags:
  --model NAME   ${MODELS.join(' | ')}
  --batch N      (default: the peer's, ${MODELS.map((p) => `${p} ${DEFAULT_BATCH[p]}`).join(', ')})
  --threads N    engine threads (default ${BENCH_DEFAULTS.threads})
  --steps N      timed steps per repetition (default ${BENCH_DEFAULTS.steps})
  --warmup N     untimed steps first (default ${BENCH_DEFAULTS.warmup})
  --reps N       timed repetitions (default ${BENCH_DEFAULTS.reps})`;

const USAGE = `${MODEL_USAGE}\n\n${BENCH_DATA_USAGE}`;

function parseMode(value: string | undefined): BenchMode {
  if (value === 'train' || value === 'infer') return value;
  throw new UsageError(
    value === undefined || value.startsWith('-')
      ? 'say what to measure: train, infer or data'
      : `unknown mode "${value}"; use train, infer or data`,
  );
}

const modelBenchCommand = defineCommand({
  name: 'bench',
  summary: 'training / inference throughput on synthetic data, comparable with the PyTorch peer',
  usage: USAGE,
  word: parseMode,
  flags: { model: 'string', batch: 'string', threads: 'string', steps: 'string', warmup: 'string', reps: 'string' },
  async run(f, io, mode) {
    const preset = requireFlag(f.model, 'model');
    if (!isPresetName(preset) && !isVitName(preset)) {
      throw new UsageError(`unknown --model "${preset}"; use one of ${MODELS.join(', ')}`);
    }
    const batch = parseIntFlag(f.batch, 'batch', DEFAULT_BATCH[preset]);
    const threads = parseIntFlag(f.threads, 'threads', BENCH_DEFAULTS.threads);
    const steps = parseIntFlag(f.steps, 'steps', BENCH_DEFAULTS.steps);
    const reps = parseIntFlag(f.reps, 'reps', BENCH_DEFAULTS.reps);
    if (batch < 2) throw new UsageError('--batch must be at least 2 (train-mode BatchNorm needs more than one sample)');
    if (threads < 1 || steps < 1 || reps < 1) throw new UsageError('--threads, --steps and --reps must be at least 1');
    const warmup = parseIntFlag(f.warmup, 'warmup', BENCH_DEFAULTS.warmup);
    io.out(JSON.stringify(await runBench({ preset, mode, batch, threads, steps, reps, warmup })));
  },
});

/** `bench train|infer` measures the engine on synthetic data; `bench data` the data pipeline (benchData.ts). */
export const benchCommand: Command = {
  name: 'bench',
  summary: modelBenchCommand.summary,
  usage: USAGE,
  run: (argv, io) => (argv[0] === 'data' ? benchDataCommand.run(argv.slice(1), io) : modelBenchCommand.run(argv, io)),
};
