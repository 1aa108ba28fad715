/**
 * Racing a piece of work against a progress notification's Cancel button. Structural types stand in for
 * vscode.CancellationToken, so the race is tested without an editor.
 */

export interface CancellationSource {
  onCancellationRequested(listener: () => unknown): { dispose(): unknown };
}

export const CANCELLED = Symbol('cancelled');

/**
 * `work`'s result, or CANCELLED when the user cancels first; `work`'s signal then aborts. The listener on `token`
 * goes as soon as either happens, so a long-lived token gathers no listeners.
 */
export async function unlessCancelled<T>(token: CancellationSource,
  work: (signal: AbortSignal) => Promise<T>): Promise<T | typeof CANCELLED> {
  const abort = new AbortController();
  let listener: { dispose(): unknown } | undefined;
  const cancelled = new Promise<typeof CANCELLED>((resolve) => {
    listener = token.onCancellationRequested(() => {
      abort.abort();
      resolve(CANCELLED);
    });
  });
  try {
    return await Promise.race([work(abort.signal), cancelled]);
  } finally {
    listener?.dispose();
  }
}
