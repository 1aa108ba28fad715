/**
 * `--class-weights none|inverse|FILE` (and `classWeights` in run configs) as a ClassWeightsSpec. FILE is JSON,
 * `{"neutral": 1, "happy": 0.4, "sad": 2.5}`: one weight > 0 per class of the run, class names in any case or
 * synonym. Read only if it is a regular file of at most 64 KiB.
 */
import { readFile } from 'node:fs/promises';
import type { ClassWeightsSpec } from '../science/classWeights';
import { ClassWeightsError, parseClassWeights } from '../science/classWeights';
import { regularFile, SMALL_FILE_CAP } from './layouts/safeFiles';

export async function loadClassWeights(value: string): Promise<ClassWeightsSpec> {
  if (value === 'none' || value === 'inverse') return { kind: value };
  try {
    await regularFile(value, SMALL_FILE_CAP, 'class-weights file');
  } catch (err) {
    throw new ClassWeightsError(`${(err as Error).message} (give none, inverse, or a JSON file of class weights)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(value, 'utf8'));
  } catch (err) {
    throw new ClassWeightsError(`${value} is not valid JSON (${(err as Error).message})`);
  }
  return { kind: 'file', file: value, weights: parseClassWeights(json, value) };
}
