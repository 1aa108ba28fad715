import { readFile } from 'node:fs/promises';
import type { Codebook } from '../science/codebook';
import { CODEBOOK_PRESETS, CodebookError, codebookPreset, parseCodebook } from '../science/codebook';

/** A codebook named by preset (`paper`, `official-code`) or by the path of a JSON file. */
export async function loadCodebook(spec: string | undefined): Promise<Codebook> {
  if (spec === undefined || (CODEBOOK_PRESETS as readonly string[]).includes(spec)) {
    return codebookPreset(spec ?? 'paper');
  }
  let text: string;
  try {
    text = await readFile(spec, 'utf8');
  } catch (err) {
    throw new CodebookError(
      `cannot read codebook "${spec}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; ` +
        `give a JSON file or a preset (${CODEBOOK_PRESETS.join(', ')})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CodebookError(`${spec}: not valid JSON (${(err as Error).message})`);
  }
  return parseCodebook(json, spec);
}
