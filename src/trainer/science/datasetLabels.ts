/**
 * How the public FER datasets code their labels, mapped onto our expressions, and FERPlus's rule from ten votes to
 * one label. Pure tables and arithmetic: the readers in io/layouts/ apply them to what they read.
 */
import type { Expression } from './labels';

/** A dataset label we keep: an expression. A code the dataset defines but the paper drops: why it is dropped. */
export type CodedLabel = { readonly expression: Expression } | { readonly dropped: string };

/** A dataset's label coding: its codes in order, for messages, and what each means to us. */
export interface LabelCoding {
  readonly dataset: string;
  readonly codes: Readonly<Record<string, CodedLabel>>;
}

const keep = (expression: Expression): CodedLabel => ({ expression });

/** RAF-DB basic, EmoLabel/list_patition_label.txt: 1..7 (the reference's raf_db.py, `origin_cl_int_to_txt`). */
export const RAFDB_CODING: LabelCoding = {
  dataset: 'RAF-DB basic',
  codes: {
    1: keep('surprise'), 2: keep('fear'), 3: keep('disgust'), 4: keep('happy'), 5: keep('sad'), 6: keep('anger'),
    7: keep('neutral'),
  },
};

/** FER2013's `emotion` column (Goodfellow et al. 2013; the Kaggle challenge's fer2013.csv). */
export const FER2013_CODING: LabelCoding = {
  dataset: 'FER2013',
  codes: {
    0: keep('anger'), 1: keep('disgust'), 2: keep('fear'), 3: keep('happy'), 4: keep('sad'), 5: keep('surprise'),
    6: keep('neutral'),
  },
};

/**
 * AffectNet's `expression` (training.csv / validation.csv, or `<id>_exp.npy`). The reference (affectnet.py,
 * `separate_only_7_valid_emotions`) keeps 0–6 and drops 7 and above; contempt is kept here as an expression so that
 * the run's class list drops it (the default classes leave it out, as the paper does) and a user may keep it.
 */
export const AFFECTNET_CODING: LabelCoding = {
  dataset: 'AffectNet',
  codes: {
    0: keep('neutral'), 1: keep('happy'), 2: keep('sad'), 3: keep('surprise'), 4: keep('fear'), 5: keep('disgust'),
    6: keep('anger'), 7: keep('contempt'),
    8: { dropped: 'none of the expressions' }, 9: { dropped: 'uncertain' }, 10: { dropped: 'no face' },
  },
};

/** A code's meaning, or undefined when the dataset does not define it (then the reader names it in an error). */
export function decodeLabel(coding: LabelCoding, code: string): CodedLabel | undefined {
  const trimmed = code.trim();
  // Only plain decimal integers: "05", "5.0" or " 5" in a label column would hide a misread column.
  if (!/^(0|[1-9]\d*)$/.test(trimmed)) return undefined;
  return Object.prototype.hasOwnProperty.call(coding.codes, trimmed) ? coding.codes[trimmed] : undefined;
}

/** The codes a dataset defines, for an error message: "1 surprise, 2 fear, …". */
export function describeCoding(coding: LabelCoding): string {
  return Object.entries(coding.codes)
    .map(([code, m]) => `${code} ${'expression' in m ? m.expression : `(${m.dropped}, dropped)`}`)
    .join(', ');
}

/** fer2013new.csv's vote columns, in file order (Microsoft/FERPlus, fer2013new.csv header). */
export const FERPLUS_VOTE_COLUMNS = [
  'neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear', 'contempt', 'unknown', 'NF',
] as const;

const FERPLUS_EXPRESSIONS: readonly Expression[] = [
  'neutral', 'happy', 'surprise', 'sad', 'anger', 'disgust', 'fear', 'contempt',
];

/** FERPlus's majority label, or why the image has none. */
export type FerPlusLabel =
  | { readonly expression: Expression }
  | { readonly dropped: 'no-majority' | 'voted-unknown' | 'not-a-face' };

/**
 * The label of FERPlus's own "majority" training mode (Microsoft/FERPlus src/ferplus.py at ae2128a,
 * `FERPlusReader._process_data` with mode 'majority', then `load_folders`), not a plain plurality:
 * 1. a class with a single vote is an outlier and loses it (votes ≤ 1 set to 0);
 * 2. the largest remaining count wins only if it is more than half of all remaining votes, unknown and NF included;
 *    otherwise the image is "unknown";
 * 3. an image whose winner is "unknown" or "NF" (not a face) is dropped (`idx < emotion_count`).
 * Ties cannot win: a count above half the sum is unique. Votes must be 10 finite numbers ≥ 0 (checked by the reader).
 */
export function ferPlusMajority(votes: readonly number[]): FerPlusLabel {
  if (votes.length !== FERPLUS_VOTE_COLUMNS.length) {
    throw new RangeError(`FERPlus needs ${FERPLUS_VOTE_COLUMNS.length} vote counts, got ${votes.length}`);
  }
  // ferplus.py compares with 1.0 + sys.float_info.epsilon; for whole vote counts that is "≤ 1".
  const kept = votes.map((v) => (v < 1 + Number.EPSILON ? 0 : v));
  const sum = kept.reduce((a, b) => a + b, 0);
  let best = 0;
  for (let i = 1; i < kept.length; i++) if (kept[i]! > kept[best]!) best = i;
  if (!(kept[best]! > 0.5 * sum)) return { dropped: 'no-majority' };
  const expression = FERPLUS_EXPRESSIONS[best];
  if (expression !== undefined) return { expression };
  return { dropped: best === FERPLUS_VOTE_COLUMNS.indexOf('unknown') ? 'voted-unknown' : 'not-a-face' };
}
