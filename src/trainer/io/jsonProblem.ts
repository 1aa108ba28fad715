/**
 * What is wrong with text that JSON.parse refused, without quoting it: V8's messages carry a snippet of the input,
 * and the input may be a file from an untrusted workspace (or /etc/passwd named as a codebook).
 */
export function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = /at position (\d+)/.exec(message)?.[1];
  if (at !== undefined) return `not valid JSON at character ${at}`;
  return /end of JSON/.test(message) ? 'not valid JSON (it ends too early)' : 'not valid JSON';
}
