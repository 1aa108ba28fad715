/**
 * The trainer worker: runs heavy work (landmarks, explanations, evaluations, training) in a child process of the
 * extension host (workerClient.ts), so that a native crash while ONNX Runtime parses a model or sharp decodes an
 * image ends this process, never the editor. It keeps models loaded between requests so repeated calls are warm.
 */
import { availableParallelism } from 'node:os';
import { EvalRequestError, runEvaluation } from './eval/evalRun';
import { AuMapsRequestError, drawAuMaps } from './explain/auMaps';
import { Explainer } from './explain/explainImage';
import { ExplainRequestError } from './explain/explanation';
import { explainForPanel, NoFaceError } from './explain/panelData';
import { exportCheckpoint } from './export/exportModel';
import { ModelFileError } from './export/modelDescription';
import { inspectModel, writeSidecarFor } from './import/inspectModel';
import { DatasetError } from './io/dataset';
import { ImageError } from './io/image';
import { LandmarkDetector } from './io/landmarks';
import { UntrustedModelError } from './io/modelTrust';
import { DeviceError } from './onnx/device';
import type {
  WorkerError,
  WorkerMethod,
  WorkerMethods,
  WorkerProgress,
  WorkerProgressOf,
  WorkerRequest,
  WorkerResponse,
} from './protocol';
import { HOST_CLOSING, isWorkerCancel, isWorkerRequest } from './protocol';
import { CodebookError } from './science/codebook';
import { CheckpointError } from './train/checkpoint';
import { TrainingError } from './train/options';
import { RunLockedError } from './train/runLock';
import { runTrainJob } from './train/trainJob';
import { TrainRequestError } from './train/trainRequest';

let detector: Promise<LandmarkDetector> | undefined;
const landmarker = (): Promise<LandmarkDetector> => (detector ??= LandmarkDetector.create());

/** One Explainer per landmark cache folder (tests use their own), each keeping its model sessions warm. */
const explainers = new Map<string, Explainer>();
function explainerFor(cacheDir: string | undefined): Explainer {
  const key = cacheDir ?? '';
  let explainer = explainers.get(key);
  if (!explainer) {
    // Two intra-op threads: the editor keeps a core, and the models are small.
    explainer = new Explainer({ landmarker, threads: 2, ...(cacheDir !== undefined && { landmarkCache: cacheDir }) });
    explainers.set(key, explainer);
  }
  return explainer;
}

/**
 * What a handler gets besides its params: the request's cancel signal, a way to report progress, and whether the
 * request's workspace is trusted (io/modelTrust.ts: untrusted, no model file but a checkpoint is parsed).
 */
interface RequestContext<M extends WorkerMethod> {
  readonly signal: AbortSignal;
  readonly progress: (progress: WorkerProgressOf<M>) => void;
  readonly trusted: boolean;
}

type Handlers = {
  [M in WorkerMethod]: (
    params: WorkerMethods[M]['params'],
    request: RequestContext<M>,
  ) => Promise<WorkerMethods[M]['result']>;
};

const handlers: Handlers = {
  'auMaps/draw': async (params) => {
    const { png, report } = await drawAuMaps(params, await landmarker());
    // A plain Uint8Array as the protocol types it, not a Buffer's view into a shared pool.
    return { png: new Uint8Array(png), report };
  },
  'explain/run': async (params, { trusted }) =>
    explainForPanel(params, { explainer: explainerFor(params.cacheDir), landmarker: await landmarker(), trusted }),
  'eval/run': async (params, { signal, progress, trusted }) =>
    runEvaluation(params, { detector: await landmarker(), signal, onProgress: progress, trusted }),
  // Export reads checkpoints alone, by content: any other file is refused before it is parsed, trusted or not.
  'export/onnx': async (params) => exportCheckpoint(params.checkpoint, params.out),
  'import/inspect': async (params, { trusted }) =>
    inspectModel(params.model, { trusted, ...(params.size !== undefined && { size: params.size }) }, { threads: 2 }),
  'import/writeSidecar': async (params, { trusted }) => writeSidecarFor(params, { trusted }, { threads: 2 }),
  // All cores but one: the editor and the explanation worker stay responsive while a run trains.
  'train/run': async (params, { signal, progress }) =>
    runTrainJob(params, {
      signal,
      onEvent: progress,
      detector: landmarker,
      defaultThreads: Math.max(1, availableParallelism() - 1),
    }),
};

/** The error as data, with what kind of problem it is so the editor can offer the right action. */
function errorOf(err: unknown): WorkerError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof AuMapsRequestError || err instanceof ExplainRequestError || err instanceof EvalRequestError) {
    return { kind: 'request', code: 'request', message };
  }
  // A run's settings, data or divergence: the user can fix them (another folder, more images, a lower lr).
  if (
    err instanceof TrainRequestError ||
    err instanceof TrainingError ||
    err instanceof DatasetError ||
    err instanceof CodebookError
  )
    return { kind: 'request', code: 'request', message };
  if (err instanceof NoFaceError) return { kind: 'request', code: 'no-face', message };
  if (err instanceof UntrustedModelError) return { kind: 'request', code: 'untrusted', message };
  if (err instanceof RunLockedError) return { kind: 'request', code: 'locked', message };
  if (err instanceof ModelFileError || err instanceof CheckpointError) {
    return { kind: 'request', code: 'model', message };
  }
  // A device that cannot start or run the graph: the user picks another.
  if (err instanceof DeviceError) return { kind: 'request', code: 'device', message };
  if (err instanceof ImageError) return { kind: 'failure', code: 'image', message };
  return { kind: 'failure', code: 'other', message };
}

if (!process.send) throw new Error('worker.js must run as a child process of the AU Lens host (child_process.fork)');
const send = (message: WorkerProgress | WorkerResponse): void => {
  // The host may be gone (disconnect below): nothing is left to tell.
  if (process.connected) process.send!(message);
};

/** The abort controllers of the requests in flight, by request id. */
const running = new Map<number, AbortController>();

async function handle(request: WorkerRequest): Promise<WorkerResponse> {
  const controller = new AbortController();
  running.set(request.id, controller);
  try {
    const handler = handlers[request.method] as (
      params: unknown,
      context: RequestContext<WorkerMethod>,
    ) => Promise<unknown>;
    if (!handler) {
      return { id: request.id, ok: false, error: { kind: 'failure', message: `unknown method "${request.method}"` } };
    }
    const progress = (p: WorkerProgressOf<WorkerMethod>): void => {
      send({ id: request.id, progress: p } satisfies WorkerProgress);
    };
    const result = (await handler(request.params, {
      signal: controller.signal,
      progress,
      // Only an explicit true trusts: a request from an older host, or a malformed one, is untrusted.
      trusted: request.trusted === true,
    })) as WorkerMethods[WorkerMethod]['result'];
    return { id: request.id, ok: true, result };
  } catch (err) {
    return { id: request.id, ok: false, error: errorOf(err) };
  } finally {
    running.delete(request.id);
  }
}

process.on('message', (message: unknown) => {
  if (isWorkerCancel(message)) {
    running.get(message.cancel)?.abort(message.closing ? HOST_CLOSING : undefined);
    return;
  }
  if (!isWorkerRequest(message)) return;
  void handle(message).then((response) => send(response));
});

// The host went away without saying so (it crashed or was killed): stop as a closing window would — a training run
// saves last.ckpt and stays "running" for the next window — then leave, instead of running on as an orphan.
process.on('disconnect', () => {
  for (const controller of running.values()) controller.abort(HOST_CLOSING);
  const leave = (): void => {
    if (running.size === 0) process.exit(0);
    else setTimeout(leave, 100);
  };
  leave();
});
// Disposed by the host: leave through process.exit, so exit handlers (run locks) still run.
process.on('SIGTERM', () => process.exit(143));
