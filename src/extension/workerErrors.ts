/**
 * What the worker's error codes mean to someone in the editor: the message with the way out it needs, and the
 * command that takes it. Plain data (no vscode), so the commands, the panels and training runs say the same.
 */
import type { WorkerErrorCode } from '../trainer/protocol';
import { WorkerFailure, WorkerRequestError } from '../trainer/workerClient';

export interface ErrorHelp {
  readonly message: string;
  /** A button beside the message: its label and the command it runs. */
  readonly action?: { readonly label: string; readonly command: string };
}

export const MANAGE_TRUST = { label: 'Manage Workspace Trust', command: 'workbench.trust.manage' } as const;

/** The worker's code for `err`; undefined for an error that did not come from the worker. */
export function workerErrorCode(err: unknown): WorkerErrorCode | undefined {
  return err instanceof WorkerRequestError || err instanceof WorkerFailure ? err.code : undefined;
}

export function errorHelp(err: unknown): ErrorHelp {
  const message = err instanceof Error ? err.message : String(err);
  switch (workerErrorCode(err)) {
    // The worker's message says why the file was refused; trusting the folder is the way to open it.
    case 'untrusted': return { message, action: MANAGE_TRUST };
    // The editor survived (the worker is a child process); what the user needs is that trying again is safe.
    case 'crashed': return { message: `${message}. A new worker starts with the next request, so try again; if it ` +
      'stops again, the file being read may be damaged (the AU Lens output has the details)' };
    // RunLockedError's message names the holder and what to do.
    default: return { message };
  }
}
