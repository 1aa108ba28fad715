/**
 * The `au-lens sweep run` process the editor starts for a sweep: the CLI the extension ships (bin/au-lens.js), so
 * the editor's sweeps are the terminal's to the letter (the same plan, runners, logs and Slurm script), and the
 * extension host only watches. Its output goes to the AU Lens log; its error, if it fails, to the user.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/** How to start the shipped CLI: a Node binary, the script, and the environment. */
export interface CliCommand {
  readonly node: string;
  readonly script: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The CLI on the extension host's own runtime. In desktop VS Code that is Electron, which runs as Node with
 * ELECTRON_RUN_AS_NODE (plain Node ignores it); the CLI's own children and Slurm's tasks inherit the variable.
 */
export function shippedCli(extensionPath: string, env: NodeJS.ProcessEnv): CliCommand {
  return {
    node: process.execPath, script: path.join(extensionPath, 'bin', 'au-lens.js'),
    env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
  };
}

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** What the CLI said went wrong: its error line(s), without the usage text that follows a usage error. */
  readonly error: string | undefined;
}

/** Keeps the last lines of a stream, split into lines, each passed to `onLine`. */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): () => string[] {
  const kept: string[] = [];
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split(/\r?\n/);
    rest = parts.pop() ?? '';
    for (const line of parts) {
      onLine(line);
      kept.push(line);
      if (kept.length > 200) kept.shift();
    }
  });
  return () => (rest ? [...kept, rest] : kept);
}

/** "au-lens sweep: Slurm refused the job: …" → "Slurm refused the job: …"; a usage error's usage text is dropped. */
export function cliError(stderr: readonly string[]): string | undefined {
  const start = stderr.findIndex((l) => l.startsWith('au-lens'));
  if (start === -1) return stderr.filter((l) => l.trim() !== '').slice(-3).join('\n') || undefined;
  const end = stderr.findIndex((l, i) => i > start && l.trim() === '');
  return stderr.slice(start, end === -1 ? undefined : end).join('\n').replace(/^au-lens [\w ]*?: /, '');
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<CliExit>;
}

/** Starts `au-lens <args>` in `cwd`; every line it prints goes to `onLine`. */
export function startCli(cli: CliCommand, args: readonly string[], cwd: string,
  onLine: (line: string) => void): CliProcess {
  const child = spawn(cli.node, [cli.script, ...args], { cwd, env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
  lines(child.stdout!, onLine);
  const stderr = lines(child.stderr!, onLine);
  const exited = new Promise<CliExit>((resolve) => {
    child.once('error', (err) => resolve({ code: null, signal: null, error: err.message }));
    child.once('close', (code, signal) =>
      resolve({ code, signal, error: code === 0 ? undefined : cliError(stderr()) }));
  });
  return { child, exited };
}
