/**
 * Which prepared-sample cache a set of samples uses, and where caches live.
 *
 * The key is a hash of everything a prepared record depends on: the set's manifest (each sample's id, class and
 * the stamp of its pixels: size and modification time of its file, its cut or face box, or its CSV row's place),
 * the class order (records hold label indices), the base side and crop mode (the preset's), the codebook, the
 * landmark detector's version, the decode limit and PREPARE_REVISION. Any change picks another cache; nothing is
 * ever read from a cache made for other inputs. A file's bytes are not hashed (that would read the whole dataset
 * before every run): an edit that keeps a file's size and modification time is not seen.
 *
 * Where: `<cache>/prepared/<key>/` beside the landmark cache, i.e. `~/.cache/au-lens/prepared` by default
 * (`$XDG_CACHE_HOME` respected) and `DIR/prepared` with `--cache DIR`.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { defaultLandmarkCacheDir } from '../../io/landmarkCache';
import { mapLimit } from '../../io/layouts/concurrency';
import type { LayoutSample, SampleSource } from '../../io/layouts/types';
import type { Codebook } from '../../science/codebook';
import type { FaceCrop } from '../../science/faceFrame';
import type { Expression } from '../../science/labels';

/** Bump when preparation (crop, AU maps, quantisation) changes, so no cache of the old one is read. */
export const PREPARE_REVISION = 1;

/** A sample to prepare: its stable id, where its pixels are, its class (a dataset reader's LayoutSample is one). */
export type CacheSample = Pick<LayoutSample, 'relPath' | 'source' | 'label'>;

export interface CacheKeyInputs {
  readonly samples: readonly CacheSample[];
  readonly labels: readonly Expression[];
  readonly side: number;
  readonly crop: FaceCrop;
  readonly codebook: Codebook;
  readonly detectorVersion: string;
  readonly maxPixels?: number;
  readonly signal?: AbortSignal;
}

/** The folder that holds every prepared-sample cache for a landmark cache folder (default: the user's). */
export function preparedCacheRoot(cacheDir?: string): string {
  return path.join(cacheDir ?? path.dirname(defaultLandmarkCacheDir()), 'prepared');
}

/** The file's size and modification time, or "missing" (the sample is then unreadable when prepared). */
async function fileStamp(file: string): Promise<string> {
  const info = await stat(file).catch(() => undefined);
  return info ? `${info.size}:${info.mtimeMs}` : 'missing';
}

async function sourceStamp(source: SampleSource): Promise<string> {
  if (source.kind === 'csv-pixels') {
    const { offset, length, column, width, height } = source;
    return `csv ${await fileStamp(source.file)} ${offset}+${length} c${column} ${width}x${height}`;
  }
  const cut = `${JSON.stringify(source.crop ?? null)} ${JSON.stringify(source.faceBox ?? null)}`;
  return `file ${await fileStamp(source.path)} ${cut}`;
}

/** Stats in flight while stamping: hides the file system's latency on a 290k-image set. */
const STAT_CONCURRENCY = 32;

export async function preparedCacheKey(inputs: CacheKeyInputs): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({
    revision: PREPARE_REVISION, labels: inputs.labels, side: inputs.side, crop: inputs.crop,
    codebook: inputs.codebook, detector: inputs.detectorVersion, maxPixels: inputs.maxPixels ?? null,
  }));
  const stamps = await mapLimit(inputs.samples, STAT_CONCURRENCY, (s) => sourceStamp(s.source), inputs.signal);
  inputs.samples.forEach((s, i) => hash.update(`\n${s.relPath}\t${s.label}\t${stamps[i]}`));
  return hash.digest('hex');
}
