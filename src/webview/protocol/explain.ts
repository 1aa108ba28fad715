/**
 * The explanation panel's messages, imported by the host (src/extension/panels/explainPanel.ts) and the page
 * (src/webview/explain/main.ts). The view types are plain data: the host fills them from the worker's result
 * (src/trainer/explain/panelData.ts), so a field the worker drops or renames is a compile error there.
 */
import type { FaithfulnessReport } from '../../trainer/science/faithfulnessReport';
import type { LocalisationReport } from '../../trainer/science/metrics/localisation';
import type { PanelAu, PanelExpression, PanelFace, PanelMap } from '../../trainer/science/panelView';
import type { Guard } from './guards';
import { isBytes, isCount, isNothing, isNumber, isRecord, isText, oneOf, orNull } from './guards';
import { IpcCommand, IpcNotification, IpcRequest } from './ipc';

export const scope = 'explain';

/** What is explained: the host keeps it and the page stores it, so a reloaded window can ask for it again. */
export interface ExplainTarget {
  /** File system path of the photo. */
  readonly image: string;
  readonly imageName: string;
  /** A checkpoint or exported model; absent: landmarks and AU maps only. */
  readonly model?: string;
  readonly modelName?: string;
  readonly face?: number;
  /** The class to explain; absent: the predicted one. */
  readonly className?: string;
}

export type ViewFace = PanelFace;
export type ViewMap = PanelMap;
export type ViewAu = PanelAu;
export type ViewExpression = PanelExpression;

export interface ViewAuShare extends ViewAu {
  readonly share: number;
  readonly pixels: number;
}

export type ViewLocalisation = Omit<LocalisationReport<unknown>, 'perAuEnergyShare'>;

/** What the decision depends on: AU occlusion beside the attention shares, and each map's deletion curves. */
export type ViewFaithfulness = FaithfulnessReport;

/** The parts of the worker's ExplanationReport the panel shows (the JSON export holds all of it). */
export interface ViewReport {
  readonly model: { readonly path: string; readonly kind: string; readonly preset: string;
    readonly labels: readonly string[]; readonly camLayer: string };
  readonly scores: Readonly<Partial<Record<string, number>>>;
  readonly predicted: { readonly class: string; readonly probability: number };
  readonly explained: { readonly class: string; readonly probability: number; readonly requested: boolean;
    readonly aus: readonly ViewAu[] };
  readonly attCos: Readonly<Record<string, number | null>>;
  readonly camCos: Readonly<Record<string, number | null>>;
  readonly cosineNote: string | null;
  readonly methods: { readonly unavailable: readonly { readonly method: string; readonly reason: string }[] };
  readonly perAuEnergyShare: Readonly<Record<string, readonly ViewAuShare[] | null>>;
  readonly localisation: { readonly threshold: number;
    readonly maps: Readonly<Record<string, ViewLocalisation | null>> };
  readonly reading: string;
  readonly faithfulness?: ViewFaithfulness;
}

interface ViewCommon {
  readonly image: { readonly path: string; readonly width: number; readonly height: number };
  readonly faces: readonly ViewFace[];
  readonly face: number;
  readonly frame: { readonly x: number; readonly y: number; readonly side: number };
  readonly maps: readonly ViewMap[];
  readonly totalMs: number;
}

export type ViewResult =
  | (ViewCommon & { readonly kind: 'model'; readonly report: ViewReport })
  | (ViewCommon & { readonly kind: 'landmarks'; readonly codebook: string;
    readonly expressions: readonly ViewExpression[] });

export interface ExplainView {
  readonly target: ExplainTarget;
  /** The photo (or its PNG preview) as a webview URI. */
  readonly photoUri: string;
  /** Photo pixels per image pixel: 1, or the preview's scale. */
  readonly photoScale: number;
  readonly result: ViewResult;
}

/** Ways out of an error, each run by the host. */
export const ERROR_ACTIONS = ['selectModel', 'showOutput', 'retry', 'explainWithoutModel', 'trainModel', 'manageTrust',
  'useCpu'] as const;
export type ErrorAction = (typeof ERROR_ACTIONS)[number];

/** Their labels, the same on the page's buttons and the notification's. */
export const ACTION_LABELS: Readonly<Record<ErrorAction, string>> = {
  selectModel: 'Select Model…',
  showOutput: 'Show Output',
  retry: 'Try Again',
  explainWithoutModel: 'Show AU Maps Only',
  trainModel: 'Train a Model…',
  manageTrust: 'Manage Workspace Trust',
  useCpu: 'Use the CPU',
};

export interface ExplainFailure {
  readonly target: ExplainTarget;
  readonly message: string;
  readonly code: 'image' | 'no-face' | 'model' | 'device' | 'request' | 'other' | 'cancelled' | 'untrusted'
    | 'crashed';
  readonly actions: readonly ErrorAction[];
}

/** What the page drew, for tests and the log: the webview's DOM cannot be read from the extension API. */
export interface RenderedState {
  readonly kind: ViewResult['kind'];
  readonly photoLoaded: boolean;
  readonly faces: number;
  readonly mapA: string;
  readonly mapB: string | null;
  readonly opacity: number;
  readonly split: number;
  readonly maps: number;
}

/** A PNG export of the page's canvas: far above any real one. */
const MAX_PNG_BYTES = 256 * 1024 * 1024;

const isRendered: Guard<RenderedState> = isRecord({
  kind: oneOf(['model', 'landmarks']), photoLoaded: (v): v is boolean => typeof v === 'boolean',
  faces: isCount(0, 10_000), mapA: isText, mapB: orNull(isText), opacity: isNumber, split: isNumber,
  maps: isCount(0, 10_000),
});

// webview → host
export const ReadyCommand = new IpcCommand<undefined>(scope, 'ready', isNothing);
export const SelectFaceCommand = new IpcCommand(scope, 'face/select', isRecord({ face: isCount(0, 10_000) }));
/** null: explain the predicted class again. */
export const ExplainClassCommand = new IpcCommand(scope, 'class/explain', isRecord({ className: orNull(isText) }));
export const RunActionCommand = new IpcCommand(scope, 'action/run', isRecord({ action: oneOf(ERROR_ACTIONS) }));
export const DidRenderCommand = new IpcCommand(scope, 'didRender', isRendered);
export const ExportPngRequest = new IpcRequest<{ readonly png: Uint8Array }, { readonly path: string | null }>(scope,
  'export/png', isRecord({ png: isBytes(MAX_PNG_BYTES) }));
export const ExportJsonRequest = new IpcRequest<undefined, { readonly path: string | null }>(scope, 'export/json',
  isNothing);

// host → webview
export const DidStartNotification = new IpcNotification<{ readonly target: ExplainTarget }>(scope, 'didStart');
export const DidExplainNotification = new IpcNotification<ExplainView>(scope, 'didExplain');
export const DidFailNotification = new IpcNotification<ExplainFailure>(scope, 'didFail');

/** A target as a page stored it: its shape is checked before the host looks at its paths. */
export const isExplainTarget: Guard<ExplainTarget> = isRecord({ image: isText, imageName: isText },
  { model: isText, modelName: isText, face: isCount(0, 10_000), className: isText });

/** Page state kept by the webview (vscode.setState) and handed back to the serializer after a reload. */
export interface ExplainPageState {
  readonly target?: ExplainTarget;
  readonly mapA?: string;
  readonly mapB?: string | null;
  readonly opacity?: number;
  readonly split?: number;
}
