/**
 * The sidecar config of an ONNX model trained elsewhere, read from disk with messages that say how to write one.
 */
import { readFile } from 'node:fs/promises';
import { ModelFileError } from '../export/modelDescription';
import type { Sidecar } from './sidecar';
import { parseSidecar, SidecarError, sidecarPathFor } from './sidecar';

/** How to write a sidecar, for messages. */
export const writeSidecarHint = (file: string): string =>
  `write one with \`au-lens inspect --model ${file} --write-sidecar\` or the editor command "AU Lens: Import ONNX ` +
    `Model…"`;

/** The sidecar beside `file` (or at `sidecarFile`), parsed; ModelFileError when it is missing or unreadable. */
export async function readSidecar(file: string, sidecarFile?: string): Promise<{ sidecar: Sidecar; path: string }> {
  const where = sidecarFile ?? sidecarPathFor(file);
  let text: string;
  try {
    text = await readFile(where, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ModelFileError(
        file,
        `an ONNX model trained elsewhere needs a sidecar config (labels, input, layers), expected at ${where}; ` +
          `${writeSidecarHint(file)}`,
        error,
      );
    }
    throw new ModelFileError(file, `cannot read its sidecar ${where} (${code ?? String(error)})`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(file, `its sidecar ${where} is not valid JSON (${(error as Error).message})`, error);
  }
  try {
    return { sidecar: parseSidecar(json, where), path: where };
  } catch (error) {
    if (error instanceof SidecarError) throw new ModelFileError(file, `sidecar ${error.message}`, error);
    throw error;
  }
}
