/**
 * The trainer worker: runs heavy work (landmarks, heatmaps, later training) off the extension host's main
 * thread. It keeps models loaded between requests so repeated calls are warm.
 */
import { parentPort } from 'node:worker_threads';
import { AuMapsRequestError, drawAuMaps } from './explain/auMaps';
import { LandmarkDetector } from './io/landmarks';
import type { WorkerMethod, WorkerMethods, WorkerRequest, WorkerResponse } from './protocol';
import { isWorkerRequest } from './protocol';

let detector: Promise<LandmarkDetector> | undefined;

type Handlers = { [M in WorkerMethod]: (params: WorkerMethods[M]['params']) => Promise<WorkerMethods[M]['result']> };

const handlers: Handlers = {
  'auMaps/draw': async (params) => {
    detector ??= LandmarkDetector.create();
    const { png, report } = await drawAuMaps(params, await detector);
    // A copy owns its memory, so it can be transferred without detaching a pooled buffer.
    return { png: new Uint8Array(png), report };
  },
};

async function handle(request: WorkerRequest): Promise<WorkerResponse> {
  try {
    const handler = handlers[request.method] as (params: unknown) => Promise<unknown>;
    if (!handler) return { id: request.id, ok: false, error: { kind: 'failure', message: `unknown method "${request.method}"` } };
    const result = (await handler(request.params)) as WorkerMethods[WorkerMethod]['result'];
    return { id: request.id, ok: true, result };
  } catch (err) {
    const kind = err instanceof AuMapsRequestError ? 'request' : 'failure';
    return { id: request.id, ok: false, error: { kind, message: (err as Error).message } };
  }
}

const port = parentPort;
if (!port) throw new Error('worker.js must run as a worker thread');
port.on('message', (message: unknown) => {
  if (!isWorkerRequest(message)) return;
  void handle(message).then((response) => {
    const transfer = response.ok && 'png' in response.result ? [response.result.png.buffer as ArrayBuffer] : [];
    port.postMessage(response, transfer);
  });
});
