import { benchExplain, defaultBenchImage, WARM_TARGET_MS } from '../explain/benchExplain';
import { LandmarkDetector } from '../io/landmarks';
import { isPresetName, PRESET_NAMES } from '../models/modelNames';
import { defineCommand, parseIntFlag, parseThreads, UsageError } from './command';

const USAGE = `Usage: au-lens bench-explain [flags]

Times a whole single-image explanation (decode, landmarks, face crop, AU map, inference, attention, CAMs and
metrics) and prints one JSON line: cold (first call: face-api and the model load), warm with the landmark cache
hit (the same photo again) and warm with detection on every call (a new photo), each stage's median, and the
time to write the PNGs. Target: warm ≤ ${WARM_TARGET_MS} ms on 2 cores.

Flags:
  --image FILE     photo to explain (default: face-api's 1920×1280 demo/sample1.jpg)
  --model FILE     checkpoint or exported model (default: an untrained --preset)
  --preset NAME    ${PRESET_NAMES.join(' | ')} (default tiny64)
  --reps N         warm repetitions (default 10)
  --threads N      engine threads (default: all cores)`;

export const benchExplainCommand = defineCommand({
  name: 'bench-explain',
  summary: 'time a whole single-image explanation, cold and warm (one JSON line)',
  usage: USAGE,
  flags: { image: 'string', model: 'string', preset: 'string', reps: 'string', threads: 'string' },
  async run(f, io) {
    const preset = f.preset ?? 'tiny64';
    if (!isPresetName(preset)) throw new UsageError(`unknown preset "${preset}"; use ${PRESET_NAMES.join(', ')}`);
    const reps = parseIntFlag(f.reps, 'reps', 10);
    if (reps < 1) throw new UsageError('--reps must be at least 1');
    const result = await benchExplain({
      image: f.image ?? defaultBenchImage(),
      ...(f.model !== undefined && { model: f.model }),
      preset,
      reps,
      threads: parseThreads(f.threads),
      landmarker: () => LandmarkDetector.create(),
    });
    io.out(JSON.stringify(result));
  },
});
