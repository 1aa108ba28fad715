/**
 * Typed messages between a webview and the extension host, after GitLens' ipc models: a Command (webview → host,
 * no answer), a Request (webview → host, answered by a response carrying the request's id) and a Notification
 * (host → webview). Each declares its method `scope/name` once; both sides import the same constant, and its `is`
 * guard narrows a received message to its params without a cast.
 */

export interface IpcMessage<P = unknown> {
  readonly method: string;
  readonly params: P;
  /** Set on requests; the response carries it back. */
  readonly id?: number;
}

abstract class IpcType<P> {
  readonly method: string;

  constructor(scope: string, name: string) {
    this.method = `${scope}/${name}`;
  }

  is(message: unknown): message is IpcMessage<P> {
    return typeof message === 'object' && message !== null && (message as IpcMessage).method === this.method;
  }

  message(params: P): IpcMessage<P> {
    return { method: this.method, params };
  }
}

/** Webview → host, fire and forget. */
export class IpcCommand<P = undefined> extends IpcType<P> {
  readonly kind = 'command';
}

/** Webview → host; the host answers with an IpcResponse for the same id. */
export class IpcRequest<P, R> extends IpcType<P> {
  readonly kind = 'request';
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
