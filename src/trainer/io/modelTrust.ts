/**
 * The one trust rule: where the user has not trusted the workspace, AU Lens parses no model file but its own
 * checkpoints. Anything else a model path may hold (an ONNX model, or a file renamed to look like a checkpoint) is
 * parsed by ONNX Runtime's native code, so it is refused unless the request says the files are trusted. The file's
 * content decides, never its name. Every opener of a model file (explain, eval, compare, import, inspect) asks here
 * before it parses anything; export and resume read checkpoints alone.
 */
import { CHECKPOINT_MAGIC } from '../train/checkpoint';
import { readHead } from './boundedRead';

/** Whether the files a request names may be parsed by native code: the CLI's user trusts them; the editor says. */
export interface Trust {
  readonly trusted: boolean;
}

/** A model file refused because the workspace is not trusted; the worker reports it with code 'untrusted'. */
export class UntrustedModelError extends Error {
  override readonly name = 'UntrustedModelError';

  constructor(readonly file: string) {
    super(
      `${file}: not an AU Lens checkpoint, and this workspace is not trusted: AU Lens opens other model files ` +
        "(ONNX) only in a trusted workspace, because native code parses them. Trust the workspace to open it",
    );
  }
}

const MAGIC = Buffer.from(`${CHECKPOINT_MAGIC}\n`, 'utf8');

/** 'checkpoint' when the file starts with the checkpoint's magic line, else 'other'; FileReadError if unreadable. */
export async function modelFileKind(file: string): Promise<'checkpoint' | 'other'> {
  const head = await readHead(file, MAGIC.length);
  return head.equals(MAGIC) ? 'checkpoint' : 'other';
}

/** The file's kind, when the request may open it; UntrustedModelError for anything but a checkpoint untrusted. */
export async function checkModelTrust(file: string, trust: Trust): Promise<'checkpoint' | 'other'> {
  const kind = await modelFileKind(file);
  if (kind !== 'checkpoint' && trust.trusted !== true) throw new UntrustedModelError(file);
  return kind;
}
