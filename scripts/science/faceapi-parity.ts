// AU Lens's built-in faceapi-expression against face-api's own pipeline (detectSingleFace with SSD on the image as
// it is → withFaceLandmarks() → withFaceExpressions()) on face-api's demo photos and on portraits made in memory
// from CK+48's crops at 48–1024 px (test/helpers/faceApiParity.ts; the unit test runs a sample). Prints the parity
// table and, per size, each side's accuracy on the six expressions (argmax over the six non-neutral outputs; the
// contempt crops count for parity only).
// Usage: node --import tsx scripts/science/faceapi-parity.ts [--per-size N] [--sizes 48,100,...] [--json FILE]
//        node --import tsx scripts/science/faceapi-parity.ts --data DIR [--json FILE]   (an image folder per class instead)
// Every CK+48 crop at every size (981 × 6) takes about an hour on 2 cores.
import { readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImage } from '../../src/trainer/io/image';
import { demoImages, formatParity, parityPipelines, parityRows, portraitImages, runParity } from '../../test/helpers/faceApiParity';
import type { ParityImage, ParityResult } from '../../test/helpers/faceApiParity';
import { PORTRAIT_SIZES } from '../../test/helpers/portraits';

const EXPRESSIONS = ['happy', 'sad', 'anger', 'fear', 'disgust', 'surprise'];
/** Index of each expression in face-api's outputs (FACEAPI_EXPRESSION_LABELS). */
const OUTPUT = [1, 2, 3, 4, 5, 6];

function correct(p: readonly number[] | undefined, truth: string): boolean {
  if (!p) return false;
  const scores = OUTPUT.map((i) => p[i]!);
  return EXPRESSIONS[scores.indexOf(Math.max(...scores))] === truth;
}

function accuracy(results: readonly ParityResult[]): string[] {
  const lines = ['| images | n (6 classes) | face-api: found | correct of all | correct of found | AU Lens: found | correct of found |', '|---|---|---|---|---|---|---|'];
  for (const group of [...new Set(results.map((r) => r.group))].filter((g) => g !== 'demo')) {
    const rs = results.filter((r) => r.group === group && r.truth !== undefined && EXPRESSIONS.includes(r.truth));
    const theirs = rs.filter((r) => r.theirs);
    const ours = rs.filter((r) => r.ours);
    const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(1)} %` : '–');
    const right = (xs: readonly ParityResult[], side: 'ours' | 'theirs'): number => xs.filter((r) => correct(r[side], r.truth!)).length;
    lines.push(`| ${/^\d+$/.test(group) ? `${group} px` : group} | ${rs.length} | ${theirs.length} | ${pct(right(theirs, 'theirs'), rs.length)} | ${pct(right(theirs, 'theirs'), theirs.length)} | ` +
      `${ours.length} | ${pct(right(ours, 'ours'), ours.length)} |`);
  }
  return lines;
}

async function* all(perSize: number | undefined, sizes: number[]): AsyncGenerator<ParityImage> {
  yield* demoImages();
  yield* portraitImages(perSize, sizes);
}

/** Every image of DIR/<class>/, the class folder as its truth, in one group named after DIR. */
async function* folder(dir: string): AsyncGenerator<ParityImage> {
  for (const cls of (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const name of (await readdir(path.join(dir, cls))).sort()) {
      const file = path.join(dir, cls, name);
      yield { group: path.basename(dir), label: `${cls}/${name}`, truth: cls, image: await decodeImage(file) };
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'per-size': { type: 'string' }, sizes: { type: 'string' }, data: { type: 'string' }, json: { type: 'string' } } });
  const perSize = values['per-size'] === undefined ? undefined : Number(values['per-size']);
  if (perSize !== undefined && !(Number.isInteger(perSize) && perSize > 0)) throw new Error(`--per-size must be a positive integer, got ${values['per-size']}`);
  const sizes = values.sizes === undefined ? [...PORTRAIT_SIZES] : values.sizes.split(',').map(Number);
  if (!sizes.every((s) => Number.isInteger(s) && s >= 32)) throw new Error(`--sizes must be integers ≥ 32, got ${values.sizes}`);
  const pipelines = await parityPipelines();
  const started = performance.now();
  try {
    const results = await runParity(values.data === undefined ? all(perSize, sizes) : folder(values.data), pipelines);
    console.log(formatParity(parityRows(results)));
    console.log('');
    console.log(accuracy(results).join('\n'));
    console.log(`\n${results.length} images in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    if (values.json) await writeFile(values.json, JSON.stringify(results));
  } finally {
    await pipelines.release();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  process.exit(1);
});
