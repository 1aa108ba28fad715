/**
 * The comparison panel's messages, imported by the host (src/extension/panels/comparePanel.ts) and the page
 * (src/webview/compare/main.ts). Image mode carries both models' explanations of one photo; dataset mode carries the
 * paired statistics of both models' evaluations on one folder (src/trainer/science/metrics/paired.ts).
 */
import type { LayerMatch } from '../../trainer/science/layerMatch';
import type { PairedComparison } from '../../trainer/science/metrics/paired';
import type { FaithfulnessDelta } from '../../trainer/science/metrics/pairedFaithfulness';
import type { ViewFace, ViewMap, ViewReport } from './explain';
import type { Guard } from './guards';
import { isCount, isNothing, isRecord, isText, oneOf, orNull } from './guards';
import { IpcCommand, IpcNotification } from './ipc';

export const scope = 'compare';

/** A model as the panel names it: a checkpoint or exported model path, or the built-in model's name. */
export interface CompareModel {
  readonly model: string;
  readonly name: string;
}

interface TargetCommon {
  readonly a: CompareModel;
  readonly b: CompareModel;
}

/** What is compared; the page stores it so a reloaded window can compare again. */
export type CompareTarget =
  | (TargetCommon & { readonly mode: 'image'; readonly image: string; readonly imageName: string;
    readonly className?: string })
  | (TargetCommon & { readonly mode: 'dataset'; readonly data: string; readonly dataName: string });

/** One model's explanation of the photo. */
export interface ImageSide {
  readonly report: ViewReport;
  readonly maps: readonly ViewMap[];
}

/** A map both models have, shown side by side with their difference: the ids of A's and B's map. */
export interface MapPair {
  readonly id: string;
  readonly title: string;
  readonly kind: ViewMap['kind'];
  readonly a: string;
  readonly b: string;
}

export interface ImageCompareView {
  readonly mode: 'image';
  readonly target: Extract<CompareTarget, { mode: 'image' }>;
  readonly photoUri: string;
  readonly photoScale: number;
  readonly frame: { readonly x: number; readonly y: number; readonly side: number };
  readonly face: ViewFace | undefined;
  readonly a: ImageSide;
  readonly b: ImageSide;
  readonly layers: LayerMatch;
  readonly pairs: readonly MapPair[];
  /** Why the maps of a pair may not be comparable (different explained classes), or null. */
  readonly note: string | null;
}

/** A flipped image as the list shows it. */
export interface FlipView {
  readonly path: string;
  readonly name: string;
  readonly thumbUri: string;
  readonly label: string;
  readonly predictedA: string;
  readonly predictedB: string;
  readonly kind: PairedComparison['flips'][number]['kind'];
}

export interface DatasetCompareView {
  readonly mode: 'dataset';
  readonly target: Extract<CompareTarget, { mode: 'dataset' }>;
  readonly comparison: Omit<PairedComparison, 'flips'>;
  /** "B is more accurate: +3.6 points [0.7, 6.5], McNemar p = 0.02". */
  readonly reading: string;
  readonly layers: LayerMatch;
  readonly flips: readonly FlipView[];
  /** Images evaluated by one model only (skipped by the other: no face, unreadable), left out of the statistics. */
  readonly unpaired: number;
  /** Δ AU selectivity and Δ deletion AUC per map (B − A); null unless both evaluations measured faithfulness. */
  readonly faithfulness: readonly FaithfulnessDelta[] | null;
  /** Where each evaluation was written, workspace-relative (null: not written, e.g. the built-in model). */
  readonly files: { readonly a: string | null; readonly b: string | null };
}

export type CompareView = ImageCompareView | DatasetCompareView;

export interface CompareFailure {
  readonly target: CompareTarget;
  readonly message: string;
  readonly cancelled: boolean;
}

/** What the page drew, for tests: the webview's DOM is out of the extension's reach. */
export interface CompareRenderedState {
  readonly mode: CompareTarget['mode'];
  readonly map: string | null;
  readonly cells: number;
  readonly flips: number;
}

// webview → host
export const ReadyCommand = new IpcCommand<undefined>(scope, 'ready', isNothing);
export const DidRenderCommand = new IpcCommand<CompareRenderedState>(scope, 'didRender', isRecord({
  mode: oneOf(['image', 'dataset']), map: orNull(isText), cells: isCount(0, 1_000_000), flips: isCount(0, 1_000_000),
}));
/** Explain one image (a flipped one) with model A or B in the explanation panel; only an image the page was sent. */
export const ExplainImageCommand = new IpcCommand(scope, 'image/explain',
  isRecord({ path: isText, side: oneOf(['a', 'b']) }));
/** Image mode: explain another class with both models; null: each model's prediction. */
export const ExplainClassCommand = new IpcCommand(scope, 'class/explain', isRecord({ className: orNull(isText) }));
export const RetryCommand = new IpcCommand<undefined>(scope, 'retry', isNothing);

// host → webview
export const DidStartNotification = new IpcNotification<{ readonly target: CompareTarget }>(scope, 'didStart');
export const DidCompareNotification = new IpcNotification<CompareView>(scope, 'didCompare');
export const DidFailNotification = new IpcNotification<CompareFailure>(scope, 'didFail');

const isCompareModel: Guard<CompareModel> = isRecord({ model: isText, name: isText });

/** A target as a page stored it: its shape is checked before the host looks at its paths. */
export const isCompareTarget: Guard<CompareTarget> = (v): v is CompareTarget =>
  isRecord({ a: isCompareModel, b: isCompareModel, mode: oneOf(['image']), image: isText, imageName: isText },
    { className: isText })(v)
  || isRecord({ a: isCompareModel, b: isCompareModel, mode: oneOf(['dataset']), data: isText, dataName: isText })(v);

/** Page state kept by the webview and handed back to the serializer after a reload. */
export interface ComparePageState {
  readonly target?: CompareTarget;
  readonly map?: string;
}
