/**
 * Reading a file that a workspace, a run folder or a user names. Only regular files are read: a named pipe or a
 * device called `x.png` must not block the worker or stream forever, so the type is checked before the file is
 * opened, the file is opened non-blocking, and checked again on the open handle. Only up to a cap per kind of file:
 * a huge file must not exhaust memory. Errors say what is wrong with the file and never quote its content. Every
 * reader of such files (images, codebooks, sidecars, checkpoints, run files, eval files, caches) goes through here.
 */
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import { jsonProblem } from './jsonProblem';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The largest file of each kind that is read: well above any genuine one, far below what exhausts memory. */
export const READ_CAPS = {
  codebook: MiB,
  sidecar: MiB,
  runConfig: MiB,
  /** run.json: the settings and a summary. */
  runRecord: 4 * MiB,
  /** One record per image: 200 k images at about 1 KiB each. */
  evalFile: 256 * MiB,
  landmarkCache: MiB,
  runLock: 64 * KiB,
  /** The JSON header line of a checkpoint: the codebook and the tensor index. */
  checkpointHeader: 16 * MiB,
  /** A whole checkpoint or ONNX file: protobuf cannot encode more than 2 GiB, and Node buffers stop near there. */
  modelFile: 2 * 1024 * MiB - 1,
  /** One line of a streamed list (progress.jsonl, a CSV manifest). */
  line: MiB,
} as const;

/**
 * An image file's cap: the pixel limit's worth of bytes at the widest pixel AU Lens decodes (16-bit RGBA, 8 bytes)
 * plus room for the container; no limit (0) falls back to the model-file cap.
 */
export function imageByteCap(maxPixels: number): number {
  return maxPixels > 0 ? Math.min(maxPixels * 8 + MiB, READ_CAPS.modelFile) : READ_CAPS.modelFile;
}

export type FileReadReason = 'missing' | 'folder' | 'not-regular' | 'too-large' | 'denied' | 'unreadable' | 'not-json';

/** A file that cannot be read as asked; `problem` is the sentence after the file name, without the file's content. */
export class FileReadError extends Error {
  override readonly name = 'FileReadError';

  constructor(
    readonly file: string,
    readonly reason: FileReadReason,
    readonly problem: string,
    cause?: unknown,
  ) {
    super(`${file}: ${problem}`, cause === undefined ? undefined : { cause });
  }
}

const sizeText = (bytes: number): string =>
  bytes >= MiB ? `${Number((bytes / MiB).toPrecision(3))} MiB` : `${Number((bytes / KiB).toPrecision(3))} KiB`;

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a plain file';
}

function errnoError(file: string, error: unknown): FileReadError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileReadError(file, 'missing', 'file not found', error);
  if (code === 'EISDIR') return new FileReadError(file, 'folder', 'is a folder, not a file', error);
  if (code === 'EACCES' || code === 'EPERM') return new FileReadError(file, 'denied', 'permission denied', error);
  if (code === 'ELOOP') return new FileReadError(file, 'unreadable', 'too many symbolic links', error);
  return new FileReadError(file, 'unreadable', `cannot read the file (${code ?? 'unknown error'})`, error);
}

function checkType(file: string, info: Stats): void {
  if (info.isDirectory()) throw new FileReadError(file, 'folder', 'is a folder, not a file');
  if (!info.isFile()) {
    throw new FileReadError(file, 'not-regular', `is ${kindOf(info)}, not a regular file; AU Lens reads only files`);
  }
}

function checkSize(file: string, size: number, cap: number, what: string): void {
  if (size > cap) {
    const problem = `too large for ${what} (${sizeText(size)}; the limit is ${sizeText(cap)})`;
    throw new FileReadError(file, 'too-large', problem);
  }
}

/**
 * Opens a regular file for reading after checking its type (symbolic links followed), never blocking on a pipe:
 * the caller reads from the handle and closes it. `size` is the size the open file had.
 */
export async function openRegularFile(file: string): Promise<{ handle: FileHandle; size: number }> {
  try {
    checkType(file, await stat(file));
  } catch (error) {
    throw error instanceof FileReadError ? error : errnoError(file, error);
  }
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a file swapped for a pipe between the check and the open still does not block the open.
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw errnoError(file, error);
  }
  try {
    const info = await handle.stat();
    checkType(file, info);
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error instanceof FileReadError ? error : errnoError(file, error);
  }
}

async function readInto(handle: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** The whole file, when it is a regular file of at most `cap` bytes; `what` names the kind of file for messages. */
export async function readBoundedFile(file: string, cap: number, what: string): Promise<Buffer> {
  const { handle, size } = await openRegularFile(file);
  try {
    checkSize(file, size, cap, what);
    const buffer = Buffer.alloc(size);
    const got = await readInto(handle, buffer, 0).catch((error: unknown) => {
      throw errnoError(file, error);
    });
    const more = await readInto(handle, Buffer.alloc(1), size).catch(() => 0);
    if (got !== size || more !== 0) {
      throw new FileReadError(file, 'unreadable', 'the file changed while it was read; try again');
    }
    return buffer;
  } finally {
    await handle.close();
  }
}

export async function readBoundedText(file: string, cap: number, what: string): Promise<string> {
  return (await readBoundedFile(file, cap, what)).toString('utf8');
}

/** JSON.parse; a FileReadError that gives the position of the problem but none of the text around it. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FileReadError(file, 'not-json', jsonProblem(error), error);
  }
}

export async function readJsonFile(file: string, cap: number, what: string): Promise<unknown> {
  return parseJsonText(await readBoundedText(file, cap, what), file);
}

/** The first `bytes` bytes of a regular file (fewer when it is shorter), e.g. to recognise it by its magic line. */
export async function readHead(file: string, bytes: number): Promise<Buffer> {
  const { handle } = await openRegularFile(file);
  try {
    const head = Buffer.alloc(bytes);
    const got = await readInto(handle, head, 0).catch((error: unknown) => {
      throw errnoError(file, error);
    });
    return head.subarray(0, got);
  } finally {
    await handle.close();
  }
}

/**
 * The lines of a regular file of any size, read in chunks so a long list never sits in memory whole; a line longer
 * than `maxLine` bytes is refused. The last line may lack its newline.
 */
export async function* readLines(file: string, maxLine: number = READ_CAPS.line): AsyncGenerator<string> {
  const { handle } = await openRegularFile(file);
  try {
    let pending = Buffer.alloc(0);
    let position = 0;
    const chunk = Buffer.alloc(64 * KiB);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position).catch((error: unknown) => {
        throw errnoError(file, error);
      });
      if (bytesRead === 0) break;
      position += bytesRead;
      pending = Buffer.concat([pending, chunk.subarray(0, bytesRead)]);
      let start = 0;
      for (let end = pending.indexOf(0x0a); end >= 0; end = pending.indexOf(0x0a, start)) {
        yield pending.subarray(start, end).toString('utf8');
        start = end + 1;
      }
      pending = pending.subarray(start);
      if (pending.length > maxLine) {
        throw new FileReadError(file, 'too-large', `has a line longer than ${sizeText(maxLine)}`);
      }
    }
    if (pending.length > 0) yield pending.toString('utf8');
  } finally {
    await handle.close();
  }
}
