/**
 * One training per run folder at a time. `run.lock` names its holder (pid, host, start time); it is created
 * atomically — written in full under a temp name, then hard-linked to `run.lock`, which fails when one exists — so
 * a reader never sees half a lock and two trainers never both get one. A lock whose holder no longer runs on this
 * host (a killed process) is stale: the next trainer takes it over and says so. A lock from another host cannot be
 * checked and is refused like a live one. `train` (CLI, --resume) and the worker's train method take it; the
 * editor (Delete, Resume, the dashboard) and the sweep runner read it with readRunLock / isRunLocked.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileReadError, parseJsonText, READ_CAPS, readBoundedText } from '../io/boundedRead';
import { processAlive } from '../io/liveProcess';

export const RUN_LOCK_FILE = 'run.lock';

/** What run.lock holds. */
export interface RunLockInfo {
  readonly pid: number;
  /** os.hostname() of the holder: a pid means something only on its own host. */
  readonly host: string;
  /** ISO 8601. */
  readonly startedAt: string;
  /** What holds it ('train', 'resume'), for messages. */
  readonly command: string;
  /** Unique per lock, so a holder releases only its own lock, and a pid reused later is not mistaken for it. */
  readonly token: string;
}

/** The folder's lock as read: `holder` null when the file is damaged; `stale` when its holder cannot be running. */
export interface RunLockState {
  readonly holder: RunLockInfo | null;
  readonly stale: boolean;
}

/** A run folder another training holds; the message says who and what to do. */
export class RunLockedError extends Error {
  override readonly name = 'RunLockedError';

  constructor(readonly folder: string, readonly holder: RunLockInfo) {
    super(
      `${folder} is in use by another training (${describeHolder(holder)}); wait for it to end or stop it. If ` +
        `nothing trains there any more, delete ${path.join(folder, RUN_LOCK_FILE)}`,
    );
  }
}

export interface RunLock {
  readonly folder: string;
  readonly info: RunLockInfo;
  /** The stale lock this one replaced, for a note to the user. */
  readonly tookOver?: RunLockState;
  /** Removes run.lock if it is still this lock's; idempotent. */
  release(): Promise<void>;
}

/** The note for a lock that replaced a stale one; undefined when there was none. */
export function takeOverNote(lock: RunLock): string | undefined {
  const old = lock.tookOver;
  if (!old) return undefined;
  return old.holder
    ? `took over the stale run lock of ${describeHolder(old.holder)}, which no longer runs`
    : 'replaced a damaged run lock';
}

/** "pid 1234 on host lab-1, started 2026-01-02T03:04:05Z by train". */
export function describeHolder(info: RunLockInfo): string {
  const host = info.host === os.hostname() ? 'this host' : `host ${info.host}`;
  return `pid ${info.pid} on ${host}, started ${info.startedAt} by ${info.command}`;
}

/**
 * The tokens of the locks this process holds or is taking: a lock naming this pid with another token is a dead
 * namesake's (a pid reused, as in containers); `held` maps each lock file held to its token.
 */
const ownTokens = new Set<string>();
const held = new Map<string, string>();
let exitHook = false;

function releaseAllSync(): void {
  for (const [file] of held) {
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  }
  held.clear();
}

function isLockInfo(v: unknown): v is RunLockInfo {
  const o = v as Partial<RunLockInfo> | null;
  return typeof o === 'object' && o !== null && Number.isInteger(o.pid) && typeof o.host === 'string' &&
    typeof o.startedAt === 'string' && typeof o.command === 'string' && typeof o.token === 'string';
}

function staleHolder(info: RunLockInfo, alive: (pid: number) => boolean): boolean {
  if (info.host !== os.hostname()) return false;
  if (info.pid === process.pid) return !ownTokens.has(info.token);
  return !alive(info.pid);
}

/** Read run.lock of a file path; undefined when there is none. */
async function readLockFile(file: string, alive: (pid: number) => boolean): Promise<RunLockState | undefined> {
  let text: string;
  try {
    text = await readBoundedText(file, READ_CAPS.runLock, 'a run lock');
  } catch (error) {
    if (error instanceof FileReadError && error.reason === 'missing') return undefined;
    if (error instanceof FileReadError && error.reason !== 'denied' && error.reason !== 'unreadable') {
      return { holder: null, stale: true };
    }
    throw error;
  }
  let json: unknown;
  try {
    json = parseJsonText(text, file);
  } catch {
    json = undefined;
  }
  if (!isLockInfo(json)) {
    // Damaged (or still being written by the exclusive-create fallback): stale once it is a few seconds old.
    const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => Infinity);
    return { holder: null, stale: age > 5000 };
  }
  return { holder: json, stale: staleHolder(json, alive) };
}

/** The folder's lock, or undefined when no training holds it. */
export async function readRunLock(
  folder: string,
  alive: (pid: number) => boolean = processAlive,
): Promise<RunLockState | undefined> {
  return readLockFile(path.join(folder, RUN_LOCK_FILE), alive);
}

/** Whether a training may hold the folder: a lock that is not stale (a live holder, or one on another host). */
export async function isRunLocked(folder: string, alive: (pid: number) => boolean = processAlive): Promise<boolean> {
  const state = await readRunLock(folder, alive);
  return state !== undefined && !state.stale;
}

/** Writes `content` to a file that must not exist yet, durably. */
async function writeNew(file: string, content: string): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `file` with `content` only if it does not exist, never visible half-written where hard links work. */
async function createExclusive(file: string, content: string, token: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${token.slice(0, 8)}.tmp`);
  await writeNew(temp, content);
  try {
    await link(temp, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw error;
    // No hard links on this file system (some network and FAT mounts): an exclusive create instead.
    await writeNew(file, content);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Moves a stale lock aside, if it is still the one that was read: a rename is atomic, so of two trainers taking
 * over, one moves it; the other finds it gone and tries again. A live lock moved by mistake (taken in between) is
 * put back.
 */
async function removeStale(file: string, seen: RunLockState, token: string): Promise<void> {
  const aside = `${file}.${token.slice(0, 8)}.stale`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  const movedToken = (() => {
    try {
      return (JSON.parse(moved) as Partial<RunLockInfo>).token;
    } catch {
      return undefined;
    }
  })();
  if (seen.holder !== null && movedToken !== seen.holder.token) await link(aside, file).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/**
 * Takes the run lock of `folder` (created if missing) for `command`; RunLockedError when another training holds
 * it. Release it on every way out; an exit of the process releases it too (process.exit, a crash in JavaScript),
 * and a killed process leaves a stale lock that the next trainer takes over.
 */
export async function acquireRunLock(
  folder: string,
  command: string,
  alive: (pid: number) => boolean = processAlive,
): Promise<RunLock> {
  const createdFolder = await mkdir(folder, { recursive: true }).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new Error(`${folder} is a file; give a folder for the run`);
    throw error;
  });
  const file = path.join(folder, RUN_LOCK_FILE);
  const token = randomBytes(16).toString('hex');
  const startedAt = new Date().toISOString();
  const info: RunLockInfo = { pid: process.pid, host: os.hostname(), startedAt, command, token };
  const content = `${JSON.stringify(info, null, 2)}\n`;
  let tookOver: RunLockState | undefined;
  ownTokens.add(token);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await createExclusive(file, content, token);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const state = await readLockFile(file, alive);
      if (state === undefined) continue;
      if (!state.stale || attempt >= 5) {
        if (state.holder) throw new RunLockedError(folder, state.holder);
        throw new Error(`${file} is being written by another process; try again`);
      }
      await removeStale(file, state, token);
      tookOver = state;
    }
  } catch (error) {
    ownTokens.delete(token);
    if (createdFolder !== undefined) await rmdir(folder).catch(() => undefined);
    throw error;
  }
  held.set(file, token);
  if (!exitHook) {
    process.on('exit', releaseAllSync);
    exitHook = true;
  }
  let released = false;
  return {
    folder,
    info,
    ...(tookOver !== undefined && { tookOver }),
    async release(): Promise<void> {
      if (released) return;
      released = true;
      held.delete(file);
      ownTokens.delete(token);
      const current = await readLockFile(file, alive).catch(() => undefined);
      if (current?.holder?.token === token) await unlink(file).catch(() => undefined);
      // A folder made only to hold the lock (a run that failed before writing anything) goes with it.
      if (createdFolder !== undefined) await rmdir(folder).catch(() => undefined);
    },
  };
}
