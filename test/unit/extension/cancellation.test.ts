import assert from 'node:assert/strict';
import type { CancellationSource } from '../../../src/extension/panels/cancellation';
import { CANCELLED, unlessCancelled } from '../../../src/extension/panels/cancellation';

/** A token like vscode's: listeners until disposed, cancel() calls them. */
function token(): CancellationSource & { cancel(): void; readonly listeners: Set<() => unknown> } {
  const listeners = new Set<() => unknown>();
  return {
    listeners,
    cancel: () => [...listeners].forEach((l) => l()),
    onCancellationRequested(listener) {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
  };
}

describe('unlessCancelled (a progress notification\'s Cancel against the work)', () => {
  it('gives the work\'s result and removes its listener from the token', async () => {
    const t = token();
    assert.equal(await unlessCancelled(t, async () => 42), 42);
    assert.equal(t.listeners.size, 0);
  });

  it('passes the work\'s error on and removes its listener', async () => {
    const t = token();
    await assert.rejects(unlessCancelled(t, () => Promise.reject(new Error('no face'))), /no face/);
    assert.equal(t.listeners.size, 0);
  });

  it('answers CANCELLED at once on cancel, aborts the work\'s signal and removes its listener', async () => {
    const t = token();
    let signal: AbortSignal | undefined;
    const never = new Promise<number>(() => undefined);
    const outcome = unlessCancelled(t, (s) => {
      signal = s;
      return never;
    });
    t.cancel();
    assert.equal(await outcome, CANCELLED);
    assert.equal(signal?.aborted, true);
    assert.equal(t.listeners.size, 0);
  });

  it('leaves no listener behind on a token used for many requests', async () => {
    const t = token();
    for (let i = 0; i < 5; i++) await unlessCancelled(t, async () => i);
    assert.equal(t.listeners.size, 0);
  });
});
