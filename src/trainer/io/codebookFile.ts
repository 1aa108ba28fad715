import type { Codebook } from '../science/codebook';
import { CODEBOOK_PRESETS, CodebookError, codebookPreset, parseCodebook } from '../science/codebook';
import { FileReadError, READ_CAPS, readJsonFile } from './boundedRead';

/** A codebook named by preset (`paper`, `official-code`) or by the path of a JSON file of at most 1 MiB. */
export async function loadCodebook(spec: string | undefined): Promise<Codebook> {
  if (spec === undefined || (CODEBOOK_PRESETS as readonly string[]).includes(spec)) {
    return codebookPreset(spec ?? 'paper');
  }
  let json: unknown;
  try {
    json = await readJsonFile(spec, READ_CAPS.codebook, 'a codebook');
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err;
    throw new CodebookError(
      err.reason === 'not-json'
        ? err.message
        : `cannot read codebook ${err.message}; give a JSON file or a preset (${CODEBOOK_PRESETS.join(', ')})`,
    );
  }
  return parseCodebook(json, spec);
}
