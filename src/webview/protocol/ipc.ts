/**
 * Typed messages between a webview and the extension host, after GitLens' ipc models: a Command (webview → host,
 * no answer), a Request (webview → host, answered by a response carrying the request's id) and a Notification
 * (host → webview). Each declares its method `scope/name` once; both sides import the same constant, and its `is`
 * guard narrows a received message to its params without a cast. What a page sends is checked: commands and
 * requests carry a guard of their params (guards.ts), and `is` accepts only a message whose params pass it.
 */
import type { Guard } from './guards';

export interface IpcMessage<P = unknown> {
  readonly method: string;
  readonly params: P;
  /** Set on requests; the response carries it back. */
  readonly id?: number;
}

abstract class IpcType<P> {
  readonly method: string;

  constructor(scope: string, name: string, private readonly params?: Guard<P>) {
    this.method = `${scope}/${name}`;
  }

  /** Whether `message` is this one, with params of the declared shape where the type has a guard. */
  is(message: unknown): message is IpcMessage<P> {
    if (typeof message !== 'object' || message === null || (message as IpcMessage).method !== this.method) return false;
    return this.params === undefined || this.params((message as IpcMessage).params);
  }

  message(params: P): IpcMessage<P> {
    return { method: this.method, params };
  }
}

/** Webview → host, fire and forget; its params are checked by `params`. */
export class IpcCommand<P = undefined> extends IpcType<P> {
  readonly kind = 'command';

  constructor(scope: string, name: string, params: Guard<P>) {
    super(scope, name, params);
  }
}

/** Webview → host; the host answers with an IpcResponse for the same id. Its params are checked by `params`. */
export class IpcRequest<P, R> extends IpcType<P> {
  readonly kind = 'request';

  constructor(scope: string, name: string, params: Guard<P>) {
    super(scope, name, params);
  }

  /** Only carries the response type (HostIpc.sendRequest infers its result from it); never set. */
  declare readonly _response?: R;
}

/** Host → webview. */
export class IpcNotification<P> extends IpcType<P> {
  readonly kind = 'notification';
}

export type IpcResponseParams<R = unknown> =
  | { readonly id: number; readonly ok: true; readonly result: R }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** The host's answer to a request, whatever its scope. */
export const IpcResponse = new IpcNotification<IpcResponseParams>('ipc', 'response');
