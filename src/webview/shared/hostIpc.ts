/**
 * The page's end of the typed channel (GitLens apps/shared/ipc.ts): acquireVsCodeApi() once, commands and requests
 * to the host (a request gets an id, a timeout, and a rejection when the host throws), notifications from it.
 */
import type { IpcCommand, IpcMessage, IpcNotification, IpcRequest } from '../protocol/ipc';
import { IpcResponse } from '../protocol/ipc';

interface VsCodeApi<S> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class HostIpc<S> {
  private readonly api = acquireVsCodeApi<S>();
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, (params: unknown) => void>();
  private nextId = 1;

  constructor() {
    window.addEventListener('message', (event: MessageEvent<unknown>) => this.receive(event.data));
  }

  sendCommand<P>(type: IpcCommand<P>, params: P): void {
    this.api.postMessage(type.message(params));
  }

  /** Resolves with the host's answer; `timeoutMs` covers dialogs the user may leave open a while. */
  sendRequest<P, R>(type: IpcRequest<P, R>, params: P, timeoutMs = 600_000): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${type.method}: no answer from the extension`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const message: IpcMessage<P> = { ...type.message(params), id };
      this.api.postMessage(message);
    });
  }

  onNotification<P>(type: IpcNotification<P>, handler: (params: P) => void): void {
    this.handlers.set(type.method, handler as (params: unknown) => void);
  }

  get state(): S | undefined {
    return this.api.getState();
  }

  set state(state: S) {
    this.api.setState(state);
  }

  private receive(data: unknown): void {
    if (IpcResponse.is(data)) {
      const response = data.params;
      const pending = this.pending.get(response.id);
      if (!pending) return;
      this.pending.delete(response.id);
      clearTimeout(pending.timer);
      if (response.ok) pending.resolve(response.result);
      else pending.reject(new Error(response.error));
      return;
    }
    const message = data as Partial<IpcMessage> | null;
    if (typeof message?.method === 'string') this.handlers.get(message.method)?.(message.params);
  }
}
