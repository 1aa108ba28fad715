/**
 * What the editor's explanation panel draws, computed in the worker: every detected face, the face frame the model
 * saw, and each map (AU map, attention per layer, each CAM) at the face frame's resolution with exactly the
 * preparation the metrics use (renderExplanation.ts draws the same maps into PNGs). With no model, the panel still
 * helps: landmarks and the AU map of every expression of the codebook.
 *
 * Maps travel as Float32Array so the panel can colour and blend them itself (opacity, split view) and the worker can
 * transfer their buffers instead of copying them.
 */
import * as path from 'node:path';
import sharp from 'sharp';
import { CAM_METHODS } from '../cam';
import { sampleFrame } from '../data/prepare';
import { loadCodebook } from '../io/codebookFile';
import type { RgbImage } from '../io/image';
import { decodeImage } from '../io/image';
import { describeNoFace, detectWithCache } from '../io/landmarkCache';
import type { DetectedFace, FaceLandmarker } from '../io/landmarks';
import type { Trust } from '../io/modelTrust';
import type { Codebook } from '../science/codebook';
import { ausForExpression } from '../science/codebook';
import type { FaceFrame } from '../science/faceFrame';
import { FACE_FRAME_SIZE, landmarksInFrame } from '../science/faceFrame';
import { buildAuHeatmap } from '../science/heatmap';
import { EXPRESSIONS } from '../science/labels';
import { prepareAttention, prepareCam } from '../science/metrics/cosine';
import type { PanelExpression, PanelFace, PanelMap } from '../science/panelView';
import { normaliseMinMax } from '../science/raster';
import type { Heatmap } from '../science/types';
import type { Explainer } from './explainImage';
import type { Explanation, ExplanationReport } from './explanation';
import type { FaithfulnessRequest } from './explanationFaithfulness';
import { ExplainRequestError } from './explanation';

/** Side of every map sent to the panel: the face frame in which the paper builds its AU maps. */
export const PANEL_MAP_SIDE = FACE_FRAME_SIZE;
/** Largest side of the PNG preview made for formats a webview cannot show (TIFF). */
export const PREVIEW_MAX_SIDE = 2048;

/**
 * What the panel's "What the decision depends on" shows: AU occlusion and every scored map's deletion/insertion
 * curves (the page draws the selected map's). ROAD's imputation and the sanity check's second model are left to
 * `au-lens explain --faithfulness all`, to stay near a second per face.
 */
export const PANEL_FAITHFULNESS: FaithfulnessRequest = {
  settings: { occlusion: true, deletion: true, road: false }, sanity: false,
};

/** Formats Chromium shows as they are; anything else gets a PNG preview. */
const BROWSER_FORMATS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif']);

export interface ExplainRunRequest {
  readonly imagePath: string;
  /** A checkpoint or exported model; none: landmarks and the AU maps of every expression. */
  readonly model?: string;
  /** Index into the detected faces; default: the most confident face. */
  readonly face?: number;
  /** The class to explain; default: the predicted class. */
  readonly className?: string;
  /** Codebook preset or JSON file, for the no-model view (a model carries its own codebook). */
  readonly codebook?: string;
  readonly maxPixels?: number;
  /** Landmark cache folder (default: the user cache); the Explainer must use the same. */
  readonly cacheDir?: string;
}

interface PanelCommon {
  readonly image: { readonly path: string; readonly width: number; readonly height: number };
  readonly faces: readonly PanelFace[];
  /** The face explained (an index into faces). */
  readonly face: number;
  /** The square the model saw (or the AU maps are built in), in image pixels. */
  readonly frame: FaceFrame;
  readonly maps: readonly PanelMap[];
  /** A PNG of the photo for formats a webview cannot show, scaled by `scale` (preview px per image px). */
  readonly preview?: { readonly png: Uint8Array; readonly scale: number };
  readonly totalMs: number;
}

export type ExplainRunResult =
  | (PanelCommon & { readonly kind: 'model'; readonly report: ExplanationReport })
  | (PanelCommon & {
      readonly kind: 'landmarks';
      readonly codebook: string;
      readonly expressions: readonly PanelExpression[];
    });

export type { PanelExpression, PanelFace, PanelMap };

/** The worker's warm explainer and detector, and whether the request's workspace is trusted (io/modelTrust.ts). */
export interface PanelDeps extends Trust {
  readonly explainer: Explainer;
  readonly landmarker: FaceLandmarker;
}

/** The image was decoded but holds no face: the panel offers to pick another image. */
export class NoFaceError extends Error {
  override readonly name = 'NoFaceError';
}

export async function explainForPanel(request: ExplainRunRequest, deps: PanelDeps): Promise<ExplainRunResult> {
  const started = performance.now();
  const detect = (image: RgbImage): Promise<DetectedFace[]> =>
    detectWithCache(deps.landmarker, request.imagePath, {
      image,
      ...(request.cacheDir !== undefined && { dir: request.cacheDir }),
    });
  if (request.model === undefined) return landmarksView(request, detect, started);

  let explanation: Explanation;
  try {
    explanation = await deps.explainer.explain({
      model: request.model,
      image: request.imagePath,
      trusted: deps.trusted,
      ...(request.face !== undefined && { face: request.face }),
      ...(request.className !== undefined && { className: request.className }),
    });
  } catch (error) {
    // The Explainer words it with describeNoFace; the panel needs to know it is this case.
    if (error instanceof Error && / no face found; /.test(error.message)) throw new NoFaceError(error.message);
    throw error;
  }
  const { maps } = explanation;
  const report = { ...explanation.report,
    faithfulness: await deps.explainer.faithfulness(explanation, PANEL_FAITHFULNESS, { trusted: deps.trusted }) };
  // Same detector and cache as the Explainer: a cache hit, so every face can be shown and picked.
  const faces = await detect(maps.image);
  const panelMaps: PanelMap[] = [];
  if (maps.auFrameMap) {
    panelMaps.push({
      id: 'au',
      kind: 'au',
      title: `AU map · ${report.explained.class}`,
      key: 'au',
      side: PANEL_MAP_SIDE,
      data: maps.auFrameMap.data,
    });
  }
  for (const [layer, att] of maps.attention) {
    panelMaps.push(
      mapOf(
        `attention:${layer}`,
        'attention',
        `${layer} attention`,
        layer,
        normaliseMinMax(prepareAttention(att, PANEL_MAP_SIDE, PANEL_MAP_SIDE)),
      ),
    );
  }
  for (const [method, cam] of maps.cams) {
    panelMaps.push(
      mapOf(`cam:${method}`, 'cam', CAM_METHODS[method].title, method, prepareCam(cam, PANEL_MAP_SIDE, PANEL_MAP_SIDE)),
    );
  }
  return {
    kind: 'model',
    report,
    image: report.image,
    faces: faces.map(panelFace),
    face: report.face.index,
    frame: report.face.frame,
    maps: panelMaps,
    ...(await previewOf(request.imagePath, maps.image)),
    totalMs: performance.now() - started,
  };
}

function mapOf(id: string, kind: PanelMap['kind'], title: string, key: string, map: Heatmap): PanelMap {
  return { id, kind, title, key, side: map.width, data: map.data };
}

function panelFace(face: DetectedFace, index: number): PanelFace {
  return { index, box: face.box, score: face.score, method: face.method, landmarks: face.landmarks };
}

/** The requested face, else the most confident one (as the Explainer chooses). */
function chooseFace(
  faces: readonly DetectedFace[],
  requested: number | undefined,
  image: RgbImage,
  file: string,
): number {
  if (faces.length === 0) throw new NoFaceError(describeNoFace(file, image.width, image.height));
  if (requested === undefined) return faces.reduce((best, f, i) => (f.score > faces[best]!.score ? i : best), 0);
  if (!Number.isInteger(requested) || requested < 0 || requested >= faces.length) {
    throw new ExplainRequestError(`face ${requested} does not exist: ${faces.length} face(s) found`);
  }
  return requested;
}

/** No model: the chosen face's landmarks and the AU map of every expression that has AUs in the codebook. */
async function landmarksView(
  request: ExplainRunRequest,
  detect: (image: RgbImage) => Promise<DetectedFace[]>,
  started: number,
): Promise<ExplainRunResult> {
  const codebook: Codebook = await loadCodebook(request.codebook);
  const image = await decodeImage(
    request.imagePath,
    request.maxPixels === undefined ? {} : { maxPixels: request.maxPixels },
  );
  const faces = await detect(image);
  const faceIndex = chooseFace(faces, request.face, image, request.imagePath);
  const face = faces[faceIndex]!;
  const frame = sampleFrame(image, face);
  const inFrame = landmarksInFrame(face.landmarks, frame);
  const names = new Map(codebook.actionUnits.map((a) => [a.facs, a.name]));
  const maps: PanelMap[] = [];
  const expressions: PanelExpression[] = [];
  for (const expression of EXPRESSIONS) {
    const aus = ausForExpression(codebook, expression);
    if (aus.length === 0) continue;
    const heatmap = buildAuHeatmap(inFrame, FACE_FRAME_SIZE, FACE_FRAME_SIZE, aus);
    const panelAus = aus.map((facs) => ({ au: `AU${facs}`, facs, name: names.get(facs) ?? '' }));
    if (!heatmap.valid) {
      expressions.push({ expression, aus: panelAus, note: heatmap.detail });
      continue;
    }
    const id = `au:${expression}`;
    maps.push(mapOf(id, 'au', `AU map · ${expression}`, expression, heatmap.map));
    expressions.push({ expression, aus: panelAus, mapId: id });
  }
  return {
    kind: 'landmarks',
    codebook: codebook.name,
    expressions,
    image: { path: request.imagePath, width: image.width, height: image.height },
    faces: faces.map(panelFace),
    face: faceIndex,
    frame,
    maps,
    ...(await previewOf(request.imagePath, image)),
    totalMs: performance.now() - started,
  };
}

/** A PNG preview for TIFF and other formats a webview cannot decode; nothing for the rest. */
async function previewOf(file: string, image: RgbImage): Promise<{ preview?: PanelCommon['preview'] }> {
  if (BROWSER_FORMATS.has(path.extname(file).toLowerCase())) return {};
  const scale = Math.min(1, PREVIEW_MAX_SIDE / Math.max(image.width, image.height));
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale)))
    .png()
    .toBuffer();
  return { preview: { png: new Uint8Array(png), scale } };
}
