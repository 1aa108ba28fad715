/**
 * Helpers for the integration tests in the real extension host: waiting for a condition, and replacing a
 * `vscode.window` function for one test (the tests share the extension's vscode object, so a stub answers the
 * extension's own quick picks and dialogs). Not a test file itself: the runner loads only *.test.js.
 */
import * as vscode from 'vscode';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with the first value `probe` gives that is neither undefined nor false. */
export async function poll<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(100)) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface Stub {
  readonly calls: unknown[][];
  restore(): void;
}

/** Replaces `vscode.window[name]` until restore(); `answer` gets each call's arguments. */
export function stubWindow(name: keyof typeof vscode.window, answer: (...args: unknown[]) => unknown): Stub {
  const window = vscode.window as unknown as Record<string, unknown>;
  const original = window[name];
  const calls: unknown[][] = [];
  window[name] = (...args: unknown[]) => {
    calls.push(args);
    return Promise.resolve(answer(...args));
  };
  return { calls, restore: () => { window[name] = original; } };
}
