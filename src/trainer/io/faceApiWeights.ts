/**
 * Reads face-api's expression network from the installed @vladmandic/face-api package, by file path: the same
 * files `faceapi.nets.faceExpressionNet.loadFromDisk(model/)` reads, never the network.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { WeightGroup } from '../models/faceApiWeights';
import { decodeFaceApiWeights, FaceApiWeightsError } from '../models/faceApiWeights';
import type { ParamStore } from '../models/types';

export const FACEAPI_EXPRESSION_MANIFEST = 'face_expression_model-weights_manifest.json';

/** Where the package keeps its models. */
export function faceApiModelDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

/** The installed package's version, for provenance ("face-api@1.7.15"). */
export function faceApiVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return `face-api@${(require('@vladmandic/face-api/package.json') as { version: string }).version}`;
}

export interface FaceApiExpressionWeights {
  /** Parameters with our names and layouts; the head in face-api's class order. */
  readonly params: ParamStore;
  /** The manifest read. */
  readonly manifest: string;
}

async function readOrFail(file: string, source: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FaceApiWeightsError(
      source,
      `cannot read ${what} ${file} (${code ?? String(error)}); is @vladmandic/face-api installed with its model ` +
        `folder?`,
    );
  }
}

export async function readFaceApiExpressionWeights(
  modelDir: string = faceApiModelDir(),
): Promise<FaceApiExpressionWeights> {
  const manifest = path.join(modelDir, FACEAPI_EXPRESSION_MANIFEST);
  const text = (await readOrFail(manifest, manifest, 'the weights manifest')).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FaceApiWeightsError(manifest, `not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) {
    throw new FaceApiWeightsError(
      manifest,
      'not a tfjs weights manifest (expected a list of { paths, weights } groups)',
    );
  }
  const groups: WeightGroup[] = [];
  for (const [i, group] of parsed.entries()) {
    const paths = (group as { paths?: unknown }).paths;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
      throw new FaceApiWeightsError(manifest, `manifest group ${i} has no "paths" list of shard files`);
    }
    const shards = await Promise.all(
      (paths as string[]).map((p) => readOrFail(path.join(modelDir, p), manifest, 'the weight shard')),
    );
    groups.push({ weights: (group as { weights?: unknown }).weights, data: Buffer.concat(shards) });
  }
  return { params: decodeFaceApiWeights(groups, manifest), manifest };
}
