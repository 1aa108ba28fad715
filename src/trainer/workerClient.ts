/**
 * Starts the trainer worker and sends it typed requests. The extension and the tests use it; it needs no
 * VS Code, so the same client can drive the worker from scripts.
 */
import { Worker } from 'node:worker_threads';
import type {
  WorkerCancel,
  WorkerErrorCode,
  WorkerMethod,
  WorkerMethods,
  WorkerProgressOf,
  WorkerResponse,
} from './protocol';
import { HOST_CLOSING, isWorkerProgress, isWorkerResponse } from './protocol';

/** The worker rejected the request itself (bad expression, missing face): the user can fix the request. */
export class WorkerRequestError extends Error {
  override readonly name = 'WorkerRequestError';

  constructor(message: string, readonly code: WorkerErrorCode = 'request') {
    super(message);
  }
}

/** The request failed in the worker (unreadable image, crash); `code` says what kind of problem it was. */
export class WorkerFailure extends Error {
  override readonly name = 'WorkerFailure';

  constructor(message: string, readonly code: WorkerErrorCode = 'other') {
    super(message);
  }
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  onProgress?: ((progress: never) => void) | undefined;
}

export interface RequestOptions<M extends WorkerMethod> {
  /** Aborting sends a cancel to the worker; the request still settles with what its method answers then. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: WorkerProgressOf<M>) => void;
}

export interface WorkerClientOptions {
  /**
   * A cause the caller already knows for every failure, told instead of the failure's own message (the extension
   * knows when this platform's native binaries are missing, and sharp's npm advice would mislead a VSIX user).
   */
  readonly failureCause?: () => string | undefined;
  /** The worker's process.env (default: this process's), e.g. with AU_LENS_DEVICE set. */
  readonly env?: NodeJS.ProcessEnv;
}

export class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: Error | undefined;
  private retiring = false;

  constructor(
    workerScript: string,
    private readonly options: WorkerClientOptions = {},
  ) {
    this.worker = new Worker(workerScript, options.env ? { env: options.env } : {});
    this.worker.on('message', (message: unknown) => this.onMessage(message));
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`the AU Lens worker stopped (exit code ${code})`)));
  }

  request<M extends WorkerMethod>(
    method: M,
    params: WorkerMethods[M]['params'],
    options: RequestOptions<M> = {},
  ): Promise<WorkerMethods[M]['result']> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    const { signal, onProgress } = options;
    const cancel = (): void => {
      if (this.pending.has(id)) {
        this.worker.postMessage({
          cancel: id,
          ...(signal?.reason === HOST_CLOSING && { closing: true }),
        } satisfies WorkerCancel);
      }
    };
    return new Promise<WorkerMethods[M]['result']>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (r: unknown) => void,
        reject,
        onProgress: onProgress as Pending['onProgress'],
      });
      this.worker.postMessage({ id, method, params });
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
    }).finally(() => signal?.removeEventListener('abort', cancel));
  }

  async dispose(): Promise<void> {
    await this.worker.terminate();
  }

  /** Disposes once the requests in flight have settled (now, when there are none), so none of them is cut off. */
  disposeWhenIdle(): void {
    this.retiring = true;
    if (this.pending.size === 0) void this.dispose();
  }

  private onMessage(message: unknown): void {
    if (isWorkerProgress(message)) {
      this.pending.get(message.id)?.onProgress?.(message.progress as never);
      return;
    }
    if (!isWorkerResponse(message)) return;
    const response = message as WorkerResponse;
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    if (this.retiring && this.pending.size === 0) void this.dispose();
    if (response.ok) pending.resolve(response.result);
    else {
      const { kind, message: text, code } = response.error;
      pending.reject(
        kind === 'request'
          ? new WorkerRequestError(text, code)
          : new WorkerFailure(this.options.failureCause?.() ?? text, code),
      );
    }
  }

  private failAll(error: Error): void {
    const cause = this.options.failureCause?.();
    this.exited = cause === undefined ? error : new WorkerFailure(cause);
    for (const p of this.pending.values()) p.reject(this.exited);
    this.pending.clear();
  }
}
