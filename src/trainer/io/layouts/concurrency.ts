/**
 * Many small reads at once (a RAF-DB box file or an AffectNet `_exp.npy` per image: 15,000 to 290,000 of them): a
 * few in flight hide the file system's latency, while a bounded number keeps file handles and memory in check.
 */

/** fn over every item with at most `limit` calls in flight; results in item order; the first error rejects. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
