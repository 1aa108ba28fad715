/**
 * Starts the trainer worker and sends it typed requests. The extension and the tests use it; it needs no
 * VS Code, so the same client can drive the worker from scripts.
 *
 * The worker is a child process (child_process.fork), not a worker thread: ONNX Runtime and sharp parse model files
 * and images in native code, and a native crash in a thread ends the whole process — the editor's extension host.
 * A crashed child fails its requests in flight with code 'crashed', and the next request starts a new one. The
 * price: a process start (some 0.6 s more than a thread's, once per worker) and results copied through the IPC
 * pipe instead of transferred (about 20 ms more for an explanation's 2 MB; scripts/bench-worker-ipc.mjs).
 */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import type {
  WorkerCancel,
  WorkerErrorCode,
  WorkerMethod,
  WorkerMethods,
  WorkerProgressOf,
  WorkerRequest,
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
  /**
   * Whether the files requests name may be parsed by native code, asked at each request (the editor:
   * `() => vscode.workspace.isTrusted`). Default: untrusted — no model file but an AU Lens checkpoint is opened.
   */
  readonly trusted?: () => boolean;
}

export class WorkerClient {
  private worker: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once disposed (or retired and idle): every later request fails with it. */
  private stopped: Error | undefined;
  private retiring = false;

  constructor(
    private readonly workerScript: string,
    private readonly options: WorkerClientOptions = {},
  ) {
    this.start();
  }

  request<M extends WorkerMethod>(
    method: M,
    params: WorkerMethods[M]['params'],
    options: RequestOptions<M> = {},
  ): Promise<WorkerMethods[M]['result']> {
    if (this.stopped) return Promise.reject(this.stopped);
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const { signal, onProgress } = options;
    const cancel = (): void => {
      if (this.pending.has(id) && worker.connected) {
        worker.send({ cancel: id, ...(signal?.reason === HOST_CLOSING && { closing: true }) } satisfies WorkerCancel);
      }
    };
    return new Promise<WorkerMethods[M]['result']>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (r: unknown) => void,
        reject,
        onProgress: onProgress as Pending['onProgress'],
      });
      const trusted = this.options.trusted?.() === true;
      worker.send({ id, method, params, trusted } satisfies WorkerRequest<M>);
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
    }).finally(() => signal?.removeEventListener('abort', cancel));
  }

  /** Stops the worker; requests in flight and later ones fail. */
  async dispose(): Promise<void> {
    this.stopped ??= new WorkerFailure('the AU Lens worker stopped (disposed)');
    const worker = this.worker;
    if (!worker || worker.exitCode !== null || worker.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.kill();
    await exited;
  }

  /** Disposes once the requests in flight have settled (now, when there are none), so none of them is cut off. */
  disposeWhenIdle(): void {
    this.retiring = true;
    if (this.pending.size === 0) void this.dispose();
  }

  /** The worker's process id, while one runs (tests, and the editor's log). */
  get pid(): number | undefined {
    return this.worker?.pid;
  }

  private start(): ChildProcess {
    const env = { ...(this.options.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' };
    // advanced serialization: typed arrays and Maps cross the pipe as they crossed the thread boundary.
    const worker = fork(this.workerScript, [], { env, execArgv: [], serialization: 'advanced' });
    this.worker = worker;
    worker.on('message', (message: unknown) => this.onMessage(message));
    worker.on('error', (err) => this.lost(worker, new WorkerFailure(err.message, 'crashed')));
    worker.on('exit', (code, signal) => {
      const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
      this.lost(worker, new WorkerFailure(`the AU Lens worker stopped (${how})`, 'crashed'));
    });
    return worker;
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

  /** The worker ended (crash, kill, dispose): its requests fail; unless stopped, the next request starts another. */
  private lost(worker: ChildProcess, error: WorkerFailure): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const cause = this.options.failureCause?.();
    const failure = cause === undefined ? error : new WorkerFailure(cause, error.code);
    if (this.retiring) this.stopped ??= failure;
    for (const p of this.pending.values()) p.reject(failure);
    this.pending.clear();
  }
}
