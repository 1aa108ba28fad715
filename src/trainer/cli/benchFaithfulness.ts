import { benchFaithfulness, PANEL_TARGET_MS, SUITE_TARGET_S } from '../bench/faithfulnessBench';
import { LandmarkDetector } from '../io/landmarks';
import { defineCommand, parseIntFlag, requireFlag, UsageError } from './command';

const USAGE = `Usage: au-lens bench-faithfulness --checkpoint CKPT --data DIR [flags]

Times the faithfulness suite and prints one JSON line: the checkpoint's held-out test images through au-lens eval
with AU occlusion, deletion/insertion (20 steps each way) and ROAD (9 percentiles, MoRF and LeRF) for the CAM
layer's attention, CAM, Grad-CAM++, the AU map and a random map, beside the same evaluation without them; and one
face as the explanation panel scores it (AU occlusion and one map's curves), cold and warm. Targets: the
suite ≤ ${SUITE_TARGET_S} s for CK+48's 138 test images with tiny64 on 2 threads, the panel ≤ ${PANEL_TARGET_MS} ms
warm. Run it once first to fill the landmark cache: preparation is not timed.

Flags:
  --checkpoint CKPT   a checkpoint trained on --data (its test subjects are scored)
  --data DIR          image folders per class (e.g. CK+48)
  --images N          only the first N test images (default: all)
  --reps N            warm repetitions of the panel face (default 5)
  --threads N         engine threads (default 2)
  --cache DIR         landmark cache folder`;

export const benchFaithfulnessCommand = defineCommand({
  name: 'bench-faithfulness',
  summary: 'time the faithfulness suite on a test split and one face in the panel (one JSON line)',
  usage: USAGE,
  flags: { checkpoint: 'string', data: 'string', images: 'string', reps: 'string', threads: 'string', cache: 'string' },
  async run(f, io) {
    const threads = parseIntFlag(f.threads, 'threads', 2);
    const reps = parseIntFlag(f.reps, 'reps', 5);
    if (threads < 1 || reps < 1) throw new UsageError('--threads and --reps must be at least 1');
    const images = f.images === undefined ? undefined : parseIntFlag(f.images, 'images', 0);
    if (images === 0) throw new UsageError('--images must be at least 1');
    const result = await benchFaithfulness({
      checkpoint: requireFlag(f.checkpoint, 'checkpoint'),
      data: requireFlag(f.data, 'data'),
      threads,
      panelReps: reps,
      ...(images !== undefined && { images }),
      ...(f.cache !== undefined && { cacheDir: f.cache }),
      detector: () => LandmarkDetector.create(),
    });
    io.out(JSON.stringify(result));
  },
});
