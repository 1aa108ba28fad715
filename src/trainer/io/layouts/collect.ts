/**
 * What every layout reader does with a sample once it has read it: the class filter, the subject, duplicate ids,
 * skip counts, and the checks on the whole (no sample, one class), so each reader only parses its own files.
 */
import type { CodedLabel, LabelCoding } from '../../science/datasetLabels';
import { decodeLabel, describeCoding } from '../../science/datasetLabels';
import type { Expression } from '../../science/labels';
import { EXPRESSIONS, parseExpression } from '../../science/labels';
import { compileSubjectPattern, DatasetError, UNMATCHED_SUBJECT_PREFIX } from '../dataset';
import { excerpt } from './safeFiles';
import type { LayoutDataset, LayoutName, LayoutReadOptions, LayoutSample, LayoutSkipKind, LayoutSkips } from './types';

const MAX_EXAMPLES = 5;

/** A dataset's label code → its meaning; an unknown code is an error naming it, where it is, and the valid codes. */
export function codedLabel(coding: LabelCoding, code: string, where: string): CodedLabel {
  const meaning = decodeLabel(coding, code);
  if (meaning === undefined) {
    throw new DatasetError(`${where}: label ${excerpt(code)} is unknown to ${coding.dataset}, ` +
      `whose labels are ${describeCoding(coding)}`);
  }
  return meaning;
}

/** A class name (any case, synonyms) → our expression; an unknown name is an error naming it and the known ones. */
export function namedLabel(name: string, where: string): Expression {
  const label = parseExpression(name);
  if (label === undefined) {
    throw new DatasetError(`${where}: label ${excerpt(name)} is not a known class; known: ${EXPRESSIONS.join(', ')} ` +
      '(any case; synonyms such as angry, happiness, surprised, sadness, fearful, disgusted, normal are accepted)');
  }
  return label;
}

/** Collects one dataset's samples; `finish` returns the dataset or throws when it cannot be trained on. */
export class SampleCollector {
  private readonly samples: LayoutSample[] = [];
  private readonly skips = new Map<LayoutSkipKind, { count: number; reason: string; examples: string[] }>();
  private readonly warnings: string[] = [];
  /** relPath → where it was listed, to name both places of a duplicate. */
  private readonly seen = new Map<string, string>();
  private readonly pattern: RegExp | undefined;
  private unmatched = 0;

  constructor(readonly layout: LayoutName, readonly root: string, private readonly options: LayoutReadOptions) {
    this.pattern = options.subjectPattern === undefined ? undefined : compileSubjectPattern(options.subjectPattern);
  }

  /** Adds a sample; `subject` is the dataset's own (a CSV column), else the pattern's, else the sample alone. */
  add(sample: Omit<LayoutSample, 'subject'> & { readonly subject?: string }, where: string): void {
    const first = this.seen.get(sample.relPath);
    if (first !== undefined) {
      throw new DatasetError(`${where}: ${excerpt(sample.relPath)} is listed twice (first at ${first})`);
    }
    this.seen.set(sample.relPath, where);
    const keep = this.options.classes;
    if (keep !== undefined && !keep.includes(sample.label)) {
      this.skip('excluded-class', sample.relPath,
        `class ${sample.label} is not among the selected classes (${keep.join(', ')})`);
      return;
    }
    this.samples.push({ ...sample, subject: sample.subject ?? this.subjectOf(sample.relPath) });
  }

  private subjectOf(relPath: string): string {
    if (this.pattern === undefined) return `${UNMATCHED_SUBJECT_PREFIX}${relPath}`;
    const match = this.pattern.exec(relPath);
    const id = match?.[1] ?? match?.[0];
    if (id !== undefined && id !== '') return id;
    this.unmatched++;
    return `${UNMATCHED_SUBJECT_PREFIX}${relPath}`;
  }

  skip(kind: LayoutSkipKind, id: string, reason: string): void {
    const entry = this.skips.get(kind);
    if (entry === undefined) this.skips.set(kind, { count: 1, reason, examples: [id] });
    else {
      entry.count++;
      if (entry.examples.length < MAX_EXAMPLES) entry.examples.push(id);
    }
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** The dataset, samples sorted by relPath; throws when nothing or a single class is left. */
  finish(labelFiles: readonly string[]): LayoutDataset {
    const { samples } = this;
    if (this.unmatched > 0) {
      this.warn(`${this.unmatched} of ${samples.length} sample(s) do not match the subject pattern ` +
        `${String(this.pattern)}; each is treated as its own subject, ` +
        'so near-duplicate images of one person could land in different splits');
    }
    const missing = this.skips.get('missing-file');
    if (missing) {
      this.warn(`${missing.count} listed file(s) were not found and were left out (e.g. ${missing.examples[0] ?? ''})`);
    }
    samples.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
    const order = this.options.classes ?? EXPRESSIONS;
    const counts = new Map<Expression, number>();
    for (const s of samples) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
    const classes = order.filter((c) => counts.has(c));
    const classCounts: Partial<Record<Expression, number>> = Object.fromEntries(classes.map((c) => [c, counts.get(c)]));
    const skipped: LayoutSkips[] = [...this.skips].map(([kind, s]) => ({ kind, ...s }));
    const skippedList = skipped.map((s) => `${s.count} ${s.kind} (${s.reason})`).join('; ');
    const skippedText = skipped.length === 0 ? '' : `; skipped: ${skippedList}`;
    if (samples.length === 0) {
      throw new DatasetError(`no samples left in ${this.root} read as ${this.layout}${skippedText}`);
    }
    if (classes.length < 2) {
      throw new DatasetError(`only one class left in ${this.root} read as ${this.layout}: ${classes[0] ?? ''} ` +
        `(${samples.length} samples); a classifier needs at least two${skippedText}`);
    }
    return {
      layout: this.layout,
      root: this.root,
      labelFiles,
      samples,
      hasOfficialSplit: samples.every((s) => s.part !== undefined),
      skipped,
      warnings: this.warnings,
      classes,
      classCounts,
    };
  }
}
