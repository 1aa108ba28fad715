/**
 * What identifies a sample's pixels for the landmark cache, for every kind of source: the landmarks of the same
 * pixels are the same wherever they are stored, so a renamed file, a hard link or a copy of a dataset keeps its
 * landmarks. An image file is its bytes' sha256 (as the cache always keyed files, so caches made before stay
 * valid); a file cut before detection (RAF-DB original) or given a face box to start from (AffectNet) adds the cut
 * and the box; a CSV row (FER2013) has no file of its own and is the hash of its decoded pixels.
 */
import { createHash } from 'node:crypto';
import { readImageFile } from './image';
import { decodeSource } from './layouts/decode';
import type { DecodedSample, SampleSource } from './layouts/types';

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface SourceIdentity {
  /** A sha256 in hex. */
  readonly id: string;
  /** The decoded sample, when finding the identity needed it (CSV rows), so a cache miss does not decode twice. */
  readonly decoded?: DecodedSample;
}

/** The identity of `source`; an unreadable source throws ImageError, as decoding it would. */
export async function sourceIdentity(source: SampleSource, maxPixels?: number): Promise<SourceIdentity> {
  if (source.kind === 'csv-pixels') {
    const decoded = await decodeSource(source, maxPixels === undefined ? {} : { maxPixels });
    const header = new TextEncoder().encode(`csv-pixels ${decoded.width}x${decoded.height}\n`);
    const bytes = new Uint8Array(header.length + decoded.data.length);
    bytes.set(header);
    bytes.set(decoded.data, header.length);
    return { id: sha256(bytes), decoded };
  }
  const content = sha256(await readImageFile(source.path));
  if (source.crop === undefined && source.faceBox === undefined) return { id: content };
  const cut = `crop ${JSON.stringify(source.crop ?? null)}\nbox ${JSON.stringify(source.faceBox ?? null)}`;
  return { id: sha256(`${content}\n${cut}`) };
}
