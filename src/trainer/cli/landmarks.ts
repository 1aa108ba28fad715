import { readImageFolder } from '../io/dataset';
import { LandmarkDetector } from '../io/landmarks';
import { detectWithCache } from '../io/landmarkCache';
import type { Expression } from '../science/labels';
import { defineCommand, requireFlag } from './command';

const USAGE = `Usage: au-lens landmarks --data DIR [flags]

Detects 68-point landmarks on every image of an image-folder dataset (<DIR>/<class>/<images>) and prints how
many images got landmarks, per class. Results are cached by file content, so training later reuses them.

Flags:
  --data DIR        dataset root
  --cache DIR       landmark cache folder (default: ~/.cache/au-lens/landmarks)
  --json            print a machine-readable summary`;

interface ClassCount {
  found: number;
  total: number;
}

export const landmarksCommand = defineCommand({
  name: 'landmarks',
  summary: 'detect landmarks on a dataset and report how many images have a face',
  usage: USAGE,
  flags: { data: 'string', cache: 'string', json: 'boolean' },
  async run(flags, io) {
    const dataset = await readImageFolder(requireFlag(flags.data, 'data'));
    const detector = await LandmarkDetector.create();
    const perClass = new Map<Expression, ClassCount>();
    const methods: Record<string, number> = {};
    const failures: { path: string; reason: string }[] = [];
    const started = performance.now();
    for (const [i, sample] of dataset.samples.entries()) {
      const count = perClass.get(sample.label) ?? { found: 0, total: 0 };
      perClass.set(sample.label, count);
      count.total++;
      try {
        const faces = await detectWithCache(
          detector,
          sample.path,
          flags.cache === undefined ? {} : { dir: flags.cache },
        );
        const best = faces[0];
        if (best) {
          count.found++;
          methods[best.method] = (methods[best.method] ?? 0) + 1;
        } else failures.push({ path: sample.relPath, reason: 'no face found' });
      } catch (err) {
        failures.push({ path: sample.relPath, reason: (err as Error).message });
      }
      if (!flags.json && (i + 1) % 100 === 0) io.err(`  ${i + 1}/${dataset.samples.length} images…`);
    }
    const seconds = (performance.now() - started) / 1000;
    const total = dataset.samples.length;
    const found = [...perClass.values()].reduce((s, c) => s + c.found, 0);
    const summary = {
      data: dataset.root,
      images: total,
      withLandmarks: found,
      rate: total ? found / total : 0,
      perClass: Object.fromEntries(perClass),
      methods,
      failures,
      skipped: dataset.skipped.length,
      seconds,
    };
    if (flags.json) {
      io.out(JSON.stringify(summary));
      return;
    }
    io.out(
      `${dataset.root}: landmarks on ${found}/${total} images (${((100 * found) / Math.max(1, total)).toFixed(1)} ` +
        `%) in ${seconds.toFixed(1)} s`,
    );
    for (const [label, c] of perClass) io.out(`  ${label.padEnd(8)} ${c.found}/${c.total}`);
    io.out(`  methods: ${Object.entries(methods).map(([m, n]) => `${m} ${n}`).join(', ') || 'none'}`);
    if (dataset.skipped.length) io.out(`  skipped ${dataset.skipped.length} file(s) (not images or unknown classes)`);
    for (const f of failures.slice(0, 10)) io.out(`  failed: ${f.path}: ${f.reason}`);
    if (failures.length > 10) io.out(`  … and ${failures.length - 10} more (see --json)`);
  },
});
