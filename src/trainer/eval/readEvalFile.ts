/**
 * An evaluation file read from disk for the runs view, the quality gates and the panels: a regular file of at most
 * READ_CAPS.evalFile bytes (io/boundedRead.ts), checked by parseEvalFile; every problem is an EvalFileError.
 */
import { FileReadError, READ_CAPS, readBoundedText } from '../io/boundedRead';
import type { EvalRunResult } from './evalFile';
import { EvalFileError, parseEvalFile } from './evalFile';

/** The file's text (for positions in diagnostics) and the evaluation it holds. */
export async function readEvalFile(file: string): Promise<{ text: string; result: EvalRunResult }> {
  let text: string;
  try {
    text = await readBoundedText(file, READ_CAPS.evalFile, 'an evaluation file');
  } catch (error) {
    if (error instanceof FileReadError) throw new EvalFileError(error.message);
    throw error;
  }
  return { text, result: parseEvalFile(text, file) };
}
