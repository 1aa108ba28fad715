import { defaultLandmarkCacheDir } from '../io/landmarkCache';
import { detectLandmarks } from '../io/landmarkPool';
import { DETECTION_METHODS, LandmarkDetector } from '../io/landmarks';
import type { DetectionMethod } from '../io/landmarks';
import { readDataset } from '../io/layouts/readDataset';
import { formatDuration } from '../io/progressMeter';
import type { Expression } from '../science/labels';
import { defaultWorkers } from '../workers/pool';
import { defineCommand, parseIntFlag, requireFlag, UsageError } from './command';

const USAGE = `Usage: au-lens landmarks --data DIR|FILE [flags]

Detects 68-point landmarks on every image of a dataset, in any layout au-lens train reads (image folders per class,
RAF-DB, FER2013/FERPlus, AffectNet, a CSV manifest), and prints how many images got landmarks, per class, and how
many faces each face-finding strategy found: SSD on the image as it is (detector), the tiny detector on the image on
a grey border, for tight crops (padded), or the whole image as the face (whole-image); each is used only when the one
before finds no plausible face. Results are cached by content as they are found, so training later reuses them and
an interrupted run resumes.

Flags:
  --data DIR|FILE   dataset folder, or a dataset's CSV file
  --cache DIR       landmark cache folder (default: ${defaultLandmarkCacheDir()})
  --workers N       worker threads, each with its own detector (default: one per core, ${defaultWorkers()} here;
                    0 runs on the main thread)
  --json            print a machine-readable summary`;

const STRATEGY_NAMES: Record<DetectionMethod, string> = {
  detector: 'SSD on the image (detector)',
  padded: 'tiny detector on a grey border (padded)',
  'whole-image': 'whole image (whole-image)',
};

interface ClassCount {
  found: number;
  total: number;
}

export const landmarksCommand = defineCommand({
  name: 'landmarks',
  summary: 'detect landmarks on a dataset and report how many images have a face',
  usage: USAGE,
  flags: { data: 'string', cache: 'string', workers: 'string', json: 'boolean' },
  async run(flags, io) {
    const workers = parseIntFlag(flags.workers, 'workers', defaultWorkers());
    if (workers > 256) throw new UsageError(`--workers ${workers} is more threads than any machine gains from`);
    const dataset = await readDataset(requireFlag(flags.data, 'data'));
    const samples = dataset.samples;
    const perClass = new Map<Expression, ClassCount>();
    for (const s of samples) {
      const count = perClass.get(s.label) ?? { found: 0, total: 0 };
      count.total++;
      perClass.set(s.label, count);
    }
    const methods = Object.fromEntries(DETECTION_METHODS.map((m) => [m, 0])) as Record<DetectionMethod, number>;
    const failures: { path: string; reason: string }[] = [];
    const summary = await detectLandmarks(samples.map((s) => s.source), {
      detector: await LandmarkDetector.create(),
      workers,
      ...(flags.cache !== undefined && { cacheDir: flags.cache }),
      onResult: (i, outcome) => {
        const sample = samples[i]!;
        const best = outcome.ok ? outcome.faces[0] : undefined;
        if (best) {
          perClass.get(sample.label)!.found++;
          methods[best.method]++;
        } else failures.push({ path: sample.relPath, reason: outcome.ok ? 'no face found' : outcome.reason });
      },
      ...(!flags.json && {
        onProgress: (p) => {
          const eta = p.etaSeconds !== null && p.done < p.total ? `, ${formatDuration(p.etaSeconds)} left` : '';
          io.err(`  ${p.done}/${p.total} images (${p.cached} cached, ${p.detected} detected), ` +
            `${p.perSecond.toFixed(1)} img/s${eta}`);
        },
      }),
    });
    const total = samples.length;
    const found = [...perClass.values()].reduce((s, c) => s + c.found, 0);
    const result = {
      data: dataset.root,
      layout: dataset.layout,
      images: total,
      withLandmarks: found,
      rate: total ? found / total : 0,
      perClass: Object.fromEntries(perClass),
      methods,
      failures,
      skipped: dataset.skipped.reduce((n, s) => n + s.count, 0),
      cached: summary.cached,
      detected: summary.detected,
      workers: summary.workers,
      seconds: summary.seconds,
      imagesPerSecond: summary.seconds > 0 ? total / summary.seconds : 0,
    };
    if (flags.json) {
      io.out(JSON.stringify(result));
      return;
    }
    io.out(
      `${dataset.root} (${dataset.layout}): landmarks on ${found}/${total} images ` +
        `(${((100 * found) / Math.max(1, total)).toFixed(1)} %) in ${formatDuration(summary.seconds)} ` +
        `with ${summary.workers || 'no'} worker thread(s); ${summary.cached} from the cache`,
    );
    for (const [label, c] of perClass) io.out(`  ${label.padEnd(8)} ${c.found}/${c.total}`);
    const byStrategy = DETECTION_METHODS.map((m) => `${STRATEGY_NAMES[m]} ${methods[m]}`).join(', ');
    io.out(`  faces by strategy: ${byStrategy}; no face ${total - found}`);
    if (result.skipped) io.out(`  skipped ${result.skipped} sample(s) (not images, unknown or dropped classes)`);
    for (const f of failures.slice(0, 10)) io.out(`  failed: ${f.path}: ${f.reason}`);
    if (failures.length > 10) io.out(`  … and ${failures.length - 10} more (see --json)`);
  },
});
