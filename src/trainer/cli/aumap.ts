import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { AuMapsRequestError, drawAuMaps, formatAuMapsReport } from '../explain/auMaps';
import { LandmarkDetector } from '../io/landmarks';
import { defineCommand, parseIntFlag, requireFlag, UsageError } from './command';

const USAGE = `Usage: au-lens aumap --image FILE --out FILE.png [flags]

Draws the photo with face boxes, 68 landmarks and the AU heatmap of an expression, one tile per expression
with --expression all. Use it to check that the AU regions sit on brows, eyes, cheeks, nose and mouth.

Flags:
  --image FILE          JPEG, PNG, TIFF, WebP or GIF (first frame)
  --out FILE.png        where to write the tiles
  --expression NAME     an expression (happy, surprise, fear, anger, disgust, sad, neutral) or "all" (default)
  --codebook NAME|FILE  preset "paper" (default) or "official-code", or a codebook JSON file
  --face N              draw only face N (0 = the most confident); default: every face
  --max-pixels N        refuse larger images (default 100000000)
  --cache DIR           landmark cache folder (default: ~/.cache/au-lens/landmarks)
  --json                print a machine-readable summary`;

export const aumapCommand = defineCommand({
  name: 'aumap',
  summary: 'draw face boxes, landmarks and AU heatmaps on a photo (PNG)',
  usage: USAGE,
  flags: {
    image: 'string', out: 'string', expression: 'string', codebook: 'string', face: 'string', 'max-pixels': 'string',
    cache: 'string', json: 'boolean',
  },
  async run(flags, io) {
    const outPath = requireFlag(flags.out, 'out');
    if (path.extname(outPath).toLowerCase() !== '.png') {
      throw new UsageError(`--out must end in .png, got "${outPath}"`);
    }
    const request = {
      imagePath: requireFlag(flags.image, 'image'),
      ...(flags.expression !== undefined && { expression: flags.expression }),
      ...(flags.codebook !== undefined && { codebook: flags.codebook }),
      ...(flags.face !== undefined && { face: parseIntFlag(flags.face, 'face', 0) }),
      ...(flags['max-pixels'] !== undefined && { maxPixels: parseIntFlag(flags['max-pixels'], 'max-pixels', 0) }),
      ...(flags.cache !== undefined && { cacheDir: flags.cache }),
    };
    const detector = await LandmarkDetector.create();
    let result;
    try {
      result = await drawAuMaps(request, detector);
    } catch (err) {
      if (err instanceof AuMapsRequestError) throw new UsageError(err.message);
      throw err;
    }
    await writeFile(outPath, result.png);
    if (flags.json) io.out(JSON.stringify({ ...result.report, out: outPath }));
    else io.out([...formatAuMapsReport(result.report), `  → ${outPath}`].join('\n'));
  },
});
