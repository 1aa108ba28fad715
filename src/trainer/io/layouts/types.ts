/**
 * What a dataset reader gives: labelled samples, each with where its pixels come from, its official part when the
 * dataset defines one, and the layout it was read as. The one home of these types: the readers, the decoder, and
 * later the shard cache and the landmark pool consume them, so nothing here imports its callers.
 */
import type { Expression } from '../../science/labels';
import type { SplitName } from '../../science/split';
import type { Box } from '../../science/types';

/** The layouts a dataset folder (or a CSV manifest file) can be read as; recorded in the run's manifest. */
export const LAYOUT_NAMES = [
  'image-folder', 'csv-manifest', 'rafdb-aligned', 'rafdb-original', 'fer2013', 'ferplus', 'affectnet-csv',
  'affectnet-npy',
] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];

/**
 * A region cut out of an image file before anything else sees it, in image pixels as PIL's `Image.crop` takes it
 * (left, top, right, bottom; right and bottom exclusive). It is first clamped as `clamp` says, then what still
 * reaches past the image is black (as PIL pads), then the region is stretched to side × side with a Lanczos filter.
 * RAF-DB's original photos are cut this way, as the reference's raf_db.py cuts them.
 */
export interface CropSpec {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  /**
   * 'image': left and top to ≥ 0, right to ≤ width − 1, bottom to ≤ height − 1.
   * 'transposed': the reference's rule, which reads RAF-DB boxes as (y, x): right to ≤ height − 1 and bottom to
   * ≤ width − 1 (left and top to ≥ 0), so a crop of a non-square photo matches the reference's files exactly.
   */
  readonly clamp: 'image' | 'transposed';
  /** Output side in pixels (224 for the paper). */
  readonly side: number;
}

/**
 * Where a sample's pixels are. Paths are absolute, resolved when the dataset was read and checked to lie inside
 * its root.
 * - 'file': an image file; `crop` cuts the face out first (RAF-DB original); `faceBox` is a face box the dataset
 *   gives (AffectNet), in the pixels of the decoded image, for the landmark detector to start from.
 * - 'csv-pixels': a grey image stored as a row of a CSV file (FER2013's `pixels`: width × height numbers 0–255,
 *   space-separated, row-major). The record lies at bytes [offset, offset + length) of `file`, the pixels in field
 *   `column`; `fileSize` is the file's size when read, so a file changed since then is refused, not misread.
 */
export type SampleSource =
  | { readonly kind: 'file'; readonly path: string; readonly crop?: CropSpec; readonly faceBox?: Box }
  | {
    readonly kind: 'csv-pixels';
    readonly file: string;
    readonly fileSize: number;
    readonly offset: number;
    readonly length: number;
    /** 1-based line of the record in `file`, for messages. */
    readonly line: number;
    readonly column: number;
    readonly width: number;
    readonly height: number;
  };

export interface LayoutSample {
  /**
   * Stable id, relative to the dataset root with '/' separators, the same on every machine: the image's path for a
   * file (`Image/aligned/train_00001_aligned.jpg`), `<csv file>#<data row, 7 digits from 0>` for a CSV row
   * (`fer2013.csv#0000000`). Manifests, splits and caches key on it.
   */
  readonly relPath: string;
  readonly source: SampleSource;
  readonly label: Expression;
  /** Who is in the image: from the dataset, the subject pattern, or `file:<relPath>` when unknown. */
  readonly subject: string;
  /** The official part the dataset puts the sample in; undefined for layouts without an official split. */
  readonly part?: SplitName;
}

/** Why samples were left out. Expected drops (labels the paper drops, excluded classes) are not errors. */
export type LayoutSkipKind =
  | 'excluded-class' | 'dropped-label' | 'no-majority' | 'voted-unknown' | 'not-a-face' | 'missing-file'
  | 'not-an-image' | 'hidden' | 'unknown-class' | 'outside-class-folder' | 'unreadable' | 'already-read';

/** Skips of one kind: counted, with the first few ids, since a large dataset may skip 100,000 rows. */
export interface LayoutSkips {
  readonly kind: LayoutSkipKind;
  readonly count: number;
  /** A sentence for people, for the first skip of this kind. */
  readonly reason: string;
  /** Up to 5 ids (relPath-like) of skipped samples. */
  readonly examples: readonly string[];
}

export interface LayoutDataset {
  readonly layout: LayoutName;
  /** Absolute root: the folder ids are relative to. */
  readonly root: string;
  /** The label and list files read, relative to the root: what the manifest should name. */
  readonly labelFiles: readonly string[];
  /** Sorted by relPath, so the order (and any split of it) does not depend on the file system. */
  readonly samples: readonly LayoutSample[];
  /** True when every sample has an official part, so `split: 'official'` can be used. */
  readonly hasOfficialSplit: boolean;
  readonly skipped: readonly LayoutSkips[];
  readonly warnings: readonly string[];
  /** Classes with at least one sample, in the order of the `classes` option, else EXPRESSIONS order. */
  readonly classes: readonly Expression[];
  readonly classCounts: Readonly<Partial<Record<Expression, number>>>;
}

/** Options every reader takes. */
export interface LayoutReadOptions {
  /** Keep only these classes; the others are skipped as 'excluded-class'. Default: every class found. */
  readonly classes?: readonly Expression[];
  /**
   * Finds the subject in a sample's relPath where the layout gives none (first capture group, else the whole
   * match); a string is compiled with `new RegExp`. Default: none (each image is its own subject), except image
   * folders, whose default is the CK+ `S###_` prefix.
   */
  readonly subjectPattern?: RegExp | string;
  readonly signal?: AbortSignal;
}

/** A decoded sample: 8-bit RGB pixels, and the dataset's face box when it gives one. */
export interface DecodedSample {
  readonly width: number;
  readonly height: number;
  /** Row-major RGB, data[(y * width + x) * 3 + c]. */
  readonly data: Uint8Array;
  /** For messages: the file, or `<file> line <n>` for a CSV row. */
  readonly source: string;
  readonly faceBox?: Box;
}
