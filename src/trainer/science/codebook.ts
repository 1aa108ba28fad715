/**
 * Expression → Action Unit codebooks as data (docs/paper-notes.md §1). The paper's Fig. 2 and the official code
 * disagree on disgust, so both ship as presets and users can write their own JSON (schemas/codebook.schema.json).
 * Validation is by hand so that every message points at the exact entry a user has to fix.
 */
import { hasAuGeometry, supportedAuList } from './auGeometry';
import officialCodeJson from './codebooks/official-code.json';
import paperJson from './codebooks/paper.json';
import { EXPRESSION_SPELLINGS, EXPRESSIONS, parseExpression } from './labels';
import type { Expression } from './labels';

export interface AuEntry {
  readonly facs: number;
  readonly name: string;
  readonly expressions: readonly Expression[];
}

export interface Codebook {
  readonly name: string;
  readonly description: string;
  readonly actionUnits: readonly AuEntry[];
}

/**
 * A codebook that cannot be used. `source` names the file or preset and `path` the JSON location
 * (e.g. `actionUnits[0].expressions[1]`, '' for the root) when the problem is inside the JSON.
 */
export class CodebookError extends Error {
  override readonly name = 'CodebookError';

  constructor(message: string, readonly source?: string, readonly path?: string) {
    super(message);
  }
}

const ROOT_KEYS = ['$schema', 'name', 'description', 'actionUnits'];
const ENTRY_KEYS = ['facs', 'name', 'expressions'];

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function suggestExpression(word: string): Expression | undefined {
  const w = word.trim().toLowerCase();
  let best: { spelling: string; d: number } | undefined;
  for (const spelling of EXPRESSION_SPELLINGS) {
    const d = editDistance(w, spelling);
    if (!best || d < best.d) best = { spelling, d };
  }
  // Beyond a third of the word, a suggestion is more confusing than helpful.
  return best && best.d <= Math.max(1, Math.floor(w.length / 3)) ? parseExpression(best.spelling) : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

/** Validates a parsed codebook JSON; `source` (a file name or preset) starts every error message. */
export function parseCodebook(json: unknown, source: string): Codebook {
  // Typed as a never-returning value so that the checks below narrow the JSON.
  const fail: (path: string, problem: string) => never = (path, problem) => {
    throw new CodebookError(`${source}: ${path ? `${path}: ` : ''}${problem}`, source, path);
  };
  const checkKeys = (obj: Record<string, unknown>, allowed: readonly string[], path: string): void => {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) fail(path, `unknown property "${key}" (allowed: ${allowed.join(', ')})`);
    }
  };

  if (!isRecord(json)) return fail('', `a codebook must be a JSON object, got ${describe(json)}`);
  checkKeys(json, ROOT_KEYS, '');
  if (!nonEmptyString(json.name)) fail('name', `must be a non-empty string, got ${describe(json.name)}`);
  if (json.description !== undefined && typeof json.description !== 'string') {
    fail('description', `must be a string, got ${describe(json.description)}`);
  }
  if (json.actionUnits === undefined) {
    fail('', 'missing "actionUnits" (the list of AUs and the expressions that use them)');
  }
  if (!Array.isArray(json.actionUnits)) {
    return fail('actionUnits', `must be an array, got ${describe(json.actionUnits)}`);
  }
  if (json.actionUnits.length === 0) fail('actionUnits', 'must list at least one AU');

  const firstIndexOfAu = new Map<number, number>();
  const actionUnits = json.actionUnits.map((raw: unknown, i): AuEntry => {
    const at = `actionUnits[${i}]`;
    if (!isRecord(raw)) return fail(at, `must be an object { facs, name, expressions }, got ${describe(raw)}`);
    const { facs } = raw;
    if (typeof facs !== 'number' || !Number.isInteger(facs) || facs <= 0) {
      return fail(at, `"facs" must be a positive integer FACS number, got ${describe(facs)}`);
    }
    const tag = `${at} (AU${facs})`;
    checkKeys(raw, ENTRY_KEYS, tag);
    if (!hasAuGeometry(facs)) fail(tag, `no geometry is defined for AU${facs}; supported: ${supportedAuList()}`);
    const earlier = firstIndexOfAu.get(facs);
    if (earlier !== undefined) fail(tag, `AU${facs} is already listed at actionUnits[${earlier}]`);
    firstIndexOfAu.set(facs, i);
    if (!nonEmptyString(raw.name)) fail(tag, `"name" must be a non-empty string, got ${describe(raw.name)}`);
    if (!Array.isArray(raw.expressions)) {
      return fail(tag, `"expressions" must be an array of expression names, got ${describe(raw.expressions)}`);
    }

    const expressions: Expression[] = [];
    raw.expressions.forEach((word: unknown, j) => {
      const where = `${at}.expressions[${j}] (AU${facs})`;
      if (typeof word !== 'string') return fail(where, `must be an expression name, got ${describe(word)}`);
      const expression = parseExpression(word);
      if (!expression) {
        const hint = suggestExpression(word);
        return fail(
          where,
          `unknown expression "${word}"${hint ? ` (did you mean ${hint}?)` : ''}; known: ${EXPRESSIONS.join(', ')}`,
        );
      }
      if (expressions.includes(expression)) fail(where, `"${word}" repeats ${expression}`);
      expressions.push(expression);
    });
    return { facs, name: raw.name.trim(), expressions };
  });

  return {
    name: json.name.trim(),
    description: typeof json.description === 'string' ? json.description : '',
    actionUnits,
  };
}

/** The shipped codebooks by name; the first, the paper's table, is the default. */
export const CODEBOOK_PRESETS = ['paper', 'official-code'] as const;
export type CodebookPresetName = (typeof CODEBOOK_PRESETS)[number];
export const DEFAULT_CODEBOOK: CodebookPresetName = 'paper';

// Validated when this module loads, so a broken preset fails every test at once.
const PRESETS: Readonly<Record<CodebookPresetName, Codebook>> = {
  paper: parseCodebook(paperJson, 'codebooks/paper.json'),
  'official-code': parseCodebook(officialCodeJson, 'codebooks/official-code.json'),
};

export function isCodebookPreset(name: string): name is CodebookPresetName {
  return (CODEBOOK_PRESETS as readonly string[]).includes(name);
}

export function codebookPreset(name: string = DEFAULT_CODEBOOK): Codebook {
  if (!isCodebookPreset(name)) {
    throw new CodebookError(
      `unknown codebook preset "${name}"; available: ${CODEBOOK_PRESETS.join(', ')} (or a JSON file)`,
      name,
    );
  }
  return PRESETS[name];
}

/** FACS numbers of the AUs an expression uses, ascending; [] when it uses none (neutral, contempt in the presets). */
export function ausForExpression(codebook: Codebook, expression: Expression): number[] {
  return codebook.actionUnits
    .filter((au) => au.expressions.includes(expression))
    .map((au) => au.facs)
    .sort((a, b) => a - b);
}
