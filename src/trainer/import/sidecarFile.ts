/**
 * A sidecar config on disk (format: sidecar.ts): read only as a regular file of at most 1 MiB, and its codebook
 * only as a preset or a file inside the sidecar's folder, which is the model's.
 */
import * as path from 'node:path';
import { ModelFileError } from '../export/modelDescription';
import { FileReadError, READ_CAPS, readJsonFile } from '../io/boundedRead';
import { loadCodebook } from '../io/codebookFile';
import { OutsideFolderError, resolveInside } from '../io/containedPath';
import type { Codebook } from '../science/codebook';
import { CODEBOOK_PRESETS, CodebookError } from '../science/codebook';
import type { Sidecar } from './sidecar';
import { parseSidecar, SidecarError, sidecarPathFor } from './sidecar';

/** How to write a sidecar, for messages. */
const writeSidecarHint = (file: string): string =>
  `write one with \`au-lens inspect --model ${file} --write-sidecar\` or the editor command "AU Lens: Import ONNX ` +
    `Model…"`;

/** The sidecar beside `file` (or at `sidecarFile`), parsed; ModelFileError when it is missing or unreadable. */
export async function readSidecar(file: string, sidecarFile?: string): Promise<{ sidecar: Sidecar; path: string }> {
  const where = sidecarFile ?? sidecarPathFor(file);
  let json: unknown;
  try {
    json = await readJsonFile(where, READ_CAPS.sidecar, 'a sidecar');
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    if (error.reason === 'missing') {
      throw new ModelFileError(
        file,
        `an ONNX model trained elsewhere needs a sidecar config (labels, input, layers), expected at ${where}; ` +
          `${writeSidecarHint(file)}`,
        error,
      );
    }
    throw new ModelFileError(file, `its sidecar ${where} is ${error.reason === 'not-json' ? '' : 'unusable: '}` +
      `${error.problem}`, error);
  }
  try {
    return { sidecar: parseSidecar(json, where), path: where };
  } catch (error) {
    if (error instanceof SidecarError) throw new ModelFileError(file, `sidecar ${error.message}`, error);
    throw error;
  }
}

/** The sidecar's codebook: a preset by name, else a JSON file inside the sidecar's (the model's) folder. */
export async function sidecarCodebook(file: string, sidecar: Sidecar, sidecarPath: string): Promise<Codebook> {
  const where = `its sidecar ${sidecarPath}`;
  try {
    const spec = (CODEBOOK_PRESETS as readonly string[]).includes(sidecar.codebook)
      ? sidecar.codebook
      : await resolveInside(path.dirname(sidecarPath), sidecar.codebook, '"codebook"');
    return await loadCodebook(spec);
  } catch (error) {
    if (error instanceof CodebookError || error instanceof OutsideFolderError) {
      throw new ModelFileError(file, `${where}: ${error.message}`, error);
    }
    throw error;
  }
}
