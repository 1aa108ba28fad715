/**
 * AU Lens's built-in model against face-api's own pipeline on the same decoded images: face-api through the
 * installed package (`detectSingleFace` with SSD MobileNet's defaults on the image as it is → `withFaceLandmarks()`
 * → `withFaceExpressions()`), AU Lens through its own steps (LandmarkDetector's strategies, prepareImage with the
 * preset's crop, the eval transform, the faceapi-expression inference graph on ONNX Runtime). Shared by the unit
 * test (a sample) and scripts/science/faceapi-parity.ts (every CK+48 crop).
 */
import * as path from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import type * as FaceApi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import * as tf from '@tensorflow/tfjs';
import { evalTransformSample } from '../../src/trainer/data/augment';
import { prepareImage } from '../../src/trainer/data/prepare';
import { buildInference } from '../../src/trainer/graphs/inference';
import { readFaceApiExpressionWeights } from '../../src/trainer/io/faceApiWeights';
import { decodeImage } from '../../src/trainer/io/image';
import type { RgbImage } from '../../src/trainer/io/image';
import { LandmarkDetector } from '../../src/trainer/io/landmarks';
import type { DetectionMethod } from '../../src/trainer/io/landmarks';
import { FACEAPI_EXPRESSION_LABELS } from '../../src/trainer/models/faceApiInfo';
import { FACEAPI_EXPRESSION } from '../../src/trainer/models/modelNames';
import { presetInfo } from '../../src/trainer/models/presets';
import { createSession, floatTensor } from '../../src/trainer/onnx/session';
import { codebookPreset } from '../../src/trainer/science/codebook';
import { FACEAPI_KEYS } from './faceApiReference';
import { ck48Dir, faceApiDemoDir } from './paths';
import { makePortrait, PORTRAIT_SIZES, PORTRAIT_STYLES, styleName } from './portraits';

export interface ParityImage {
  /** 'demo' for face-api's photos, the portrait's side in px, or a folder's name. */
  readonly group: string;
  readonly label: string;
  /** The CK+48 class folder the face came from, for accuracy; undefined for the demo photos. */
  readonly truth?: string;
  readonly image: RgbImage;
}

export interface ParityResult {
  readonly group: string;
  readonly label: string;
  readonly truth?: string;
  /** Probabilities in FACEAPI_EXPRESSION_LABELS order; undefined where that side found no face. */
  readonly ours?: number[];
  readonly theirs?: number[];
  readonly method?: DetectionMethod;
}

export interface Pipelines {
  ours(image: RgbImage): Promise<{ probabilities: number[]; method: DetectionMethod } | undefined>;
  theirs(image: RgbImage): Promise<number[] | undefined>;
  release(): Promise<void>;
}

function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const exps = Array.from(logits, (v) => Math.exp(v - max));
  const z = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / z);
}

export async function parityPipelines(): Promise<Pipelines> {
  const detector = await LandmarkDetector.create();
  /* eslint-disable-next-line @typescript-eslint/no-require-imports */
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApi;
  const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  if (!faceapi.nets.faceExpressionNet.isLoaded) await faceapi.nets.faceExpressionNet.loadFromDisk(modelDir);
  const info = presetInfo(FACEAPI_EXPRESSION);
  const k = FACEAPI_EXPRESSION_LABELS.length;
  const { params } = await readFaceApiExpressionWeights();
  const session = await createSession(buildInference({ preset: FACEAPI_EXPRESSION, numClasses: k, batch: 1 }, params).model, { threads: 1 });
  const codebook = codebookPreset('paper');
  const s = info.inputSize;
  return {
    async ours(image) {
      const faces = await detector.detect(image);
      if (faces.length === 0) return undefined;
      const prepared = prepareImage(image, faces, 'neutral', codebook, s, info.crop);
      const input = evalTransformSample({ side: prepared.side, rgb: prepared.rgb }, s, info.normalisation).image;
      const out = await session.run({ image: floatTensor(input, [1, 3, s, s]) });
      return { probabilities: softmax(out['logits']!.data as Float32Array), method: prepared.face!.method };
    },
    async theirs(image) {
      const input = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
      try {
        const found = await faceapi
          .detectSingleFace(input as unknown as FaceApi.TNetInput, new faceapi.SsdMobilenetv1Options())
          .withFaceLandmarks()
          .withFaceExpressions();
        return found ? FACEAPI_KEYS.map((key) => found.expressions[key]) : undefined;
      } finally {
        input.dispose();
      }
    },
    release: () => session.release(),
  };
}

export async function runParity(images: AsyncIterable<ParityImage> | Iterable<ParityImage>, pipelines: Pipelines): Promise<ParityResult[]> {
  const results: ParityResult[] = [];
  for await (const item of images) {
    const ours = await pipelines.ours(item.image);
    const theirs = await pipelines.theirs(item.image);
    results.push({
      group: item.group, label: item.label, ...(item.truth !== undefined && { truth: item.truth }),
      ...(ours && { ours: ours.probabilities, method: ours.method }), ...(theirs && { theirs }),
    });
  }
  return results;
}

/** face-api's demo photos, decoded as AU Lens decodes files. */
export async function* demoImages(): AsyncGenerator<ParityImage> {
  for (const name of readdirSync(faceApiDemoDir).filter((f) => /^sample\d+\.jpg$/.test(f)).sort()) {
    yield { group: 'demo', label: name, image: await decodeImage(path.join(faceApiDemoDir, name)) };
  }
}

/** CK+48's crops, sorted, as { file, truth } (every class folder, contempt included). */
export function ck48Files(): { file: string; truth: string }[] {
  return readdirSync(ck48Dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(path.join(ck48Dir, d.name)).filter((f) => f.endsWith('.png')).sort().map((f) => ({ file: path.join(ck48Dir, d.name, f), truth: d.name })))
    .sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * Portraits of `perSize` CK+48 crops at every size (all of them when perSize is undefined), spread evenly over the
 * sorted list and shifted per size so sizes see different subjects; crop i takes style i mod 8. Made in memory.
 */
export async function* portraitImages(perSize?: number, sizes: readonly number[] = PORTRAIT_SIZES): AsyncGenerator<ParityImage> {
  const files = ck48Files();
  for (const [si, size] of sizes.entries()) {
    const n = Math.min(perSize ?? files.length, files.length);
    for (let i = 0; i < n; i++) {
      const { file, truth } = files[(Math.floor((i * files.length) / n) + si * 7) % files.length]!;
      const style = PORTRAIT_STYLES[i % PORTRAIT_STYLES.length]!;
      const png = await makePortrait(readFileSync(file), size, style, i);
      yield { group: String(size), label: `${path.basename(file)} ${styleName(style)}`, truth, image: await decodeImage(png, { source: file }) };
    }
  }
}

const argmax = (p: readonly number[]): number => p.indexOf(Math.max(...p));

export interface ParityRow {
  readonly group: string;
  readonly images: number;
  readonly both: number;
  readonly sameTop: number;
  /** Mean over faces of the largest per-class |Δp|, and the largest of all. */
  readonly meanMaxDiff: number;
  readonly maxDiff: number;
  readonly onlyOurs: string[];
  readonly onlyTheirs: string[];
  readonly neither: number;
  /** Which strategy found our faces among those both sides found. */
  readonly methods: Partial<Record<DetectionMethod, number>>;
  /** The labels of faces whose top classes differ. */
  readonly disagreements: string[];
}

export function parityRows(results: readonly ParityResult[]): ParityRow[] {
  const groups = [...new Set(results.map((r) => r.group))];
  const rowOf = (group: string, rs: readonly ParityResult[]): ParityRow => {
    const both = rs.filter((r) => r.ours && r.theirs);
    const diffs = both.map((r) => Math.max(...r.ours!.map((p, i) => Math.abs(p - r.theirs![i]!))));
    const methods: Partial<Record<DetectionMethod, number>> = {};
    for (const r of both) methods[r.method!] = (methods[r.method!] ?? 0) + 1;
    return {
      group,
      images: rs.length,
      both: both.length,
      sameTop: both.filter((r) => argmax(r.ours!) === argmax(r.theirs!)).length,
      meanMaxDiff: diffs.length ? diffs.reduce((a, b) => a + b, 0) / diffs.length : 0,
      maxDiff: diffs.length ? Math.max(...diffs) : 0,
      onlyOurs: rs.filter((r) => r.ours && !r.theirs).map((r) => r.label),
      onlyTheirs: rs.filter((r) => !r.ours && r.theirs).map((r) => r.label),
      neither: rs.filter((r) => !r.ours && !r.theirs).length,
      methods,
      disagreements: both.filter((r) => argmax(r.ours!) !== argmax(r.theirs!)).map((r) => r.label),
    };
  };
  return [...groups.map((g) => rowOf(g, results.filter((r) => r.group === g))), rowOf('all', results)];
}

const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(1)} %` : '–');

/** A Markdown table of the rows, then every face only one side found, per group. */
export function formatParity(rows: readonly ParityRow[]): string {
  const lines = [
    '| images | n | both found | same top class | mean max abs Δp | max abs Δp | only AU Lens | only face-api | neither | AU Lens strategies (both found) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${/^\d+$/.test(r.group) ? `${r.group} px` : r.group} | ${r.images} | ${r.both} | ${r.sameTop}/${r.both} (${pct(r.sameTop, r.both)}) | ` +
      `${r.meanMaxDiff.toFixed(4)} | ${r.maxDiff.toFixed(4)} | ${r.onlyOurs.length} | ${r.onlyTheirs.length} | ${r.neither} | ` +
      `${Object.entries(r.methods).map(([m, n]) => `${m} ${n}`).join(', ') || '–'} |`,
    ),
  ];
  for (const r of rows.filter((row) => row.group !== 'all')) {
    if (r.onlyOurs.length) lines.push(`only AU Lens found a face (${r.group}): ${r.onlyOurs.join('; ')}`);
    if (r.onlyTheirs.length) lines.push(`only face-api found a face (${r.group}): ${r.onlyTheirs.join('; ')}`);
    if (r.disagreements.length) lines.push(`top classes differ (${r.group}): ${r.disagreements.join('; ')}`);
  }
  return lines.join('\n');
}
