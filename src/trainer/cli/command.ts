import * as os from 'node:os';
import { parseArgs } from 'node:util';

/** A usage mistake: the CLI prints the message and the command's help, and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where a command writes: human-readable lines on stdout, diagnostics on stderr. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[], io: CliIo): Promise<void>;
}

/** A command's flags: each takes a value (`--data DIR`) or is a switch (`--json`, false unless given). */
type FlagSpec = Readonly<Record<string, 'string' | 'boolean'>>;

/** The parsed flags: a value flag's text (undefined when not given), a switch's state. */
export type Flags<S extends FlagSpec> = {
  readonly [K in keyof S]: S[K] extends 'boolean' ? boolean : string | undefined;
};

interface CommandSpec<S extends FlagSpec, W> {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: S;
  /** For a command whose first argument is a word before the flags (bench's mode): checks it before the flags. */
  readonly word?: (arg: string | undefined) => W;
  run(flags: Flags<S>, io: CliIo, word: W): Promise<void>;
}

/**
 * A command whose flags node:util's parseArgs checks strictly (an unknown flag, a missing value or a stray
 * argument is a usage error that names it) before `run` sees them.
 */
export function defineCommand<S extends FlagSpec, W = undefined>(spec: CommandSpec<S, W>): Command {
  const options = Object.fromEntries(Object.entries(spec.flags).map(([name, type]) =>
    [name, type === 'boolean' ? { type, default: false } : { type }]));
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    async run(argv, io) {
      const word = spec.word?.(argv[0]) as W;
      let flags: Flags<S>;
      try {
        const args = argv.slice(spec.word ? 1 : 0);
        flags = parseArgs({ args, options, strict: true, allowPositionals: false }).values as Flags<S>;
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      return spec.run(flags, io, word);
    },
  };
}

export function requireFlag<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '') throw new UsageError(`missing required flag --${flag}`);
  return value;
}

export function parseIntFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

/** --threads: engine threads, every core unless given. */
export function parseThreads(value: string | undefined): number {
  return parseIntFlag(value, 'threads', os.availableParallelism());
}

export function parseNumberFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${flag} must be a non-negative number, got "${value}"`);
  }
  return n;
}
