/**
 * Face boxes, landmarks and the AU heatmap of each expression drawn on one image: the geometry check behind
 * `au-lens aumap` and the editor's "Show AU Heatmaps" command.
 */
import { loadCodebook } from '../io/codebookFile';
import { decodeImage } from '../io/image';
import type { DetectedFace, LandmarkDetector } from '../io/landmarks';
import { detectWithCache } from '../io/landmarkCache';
import type { Tile } from '../io/render';
import { renderTileGrid, viewOf } from '../io/render';
import type { Codebook } from '../science/codebook';
import { ausForExpression } from '../science/codebook';
import { isTightCrop } from '../science/faceCheck';
import { FACE_FRAME_SIZE, faceFrame, landmarksInFrame, pasteFrameMap, regionAround } from '../science/faceFrame';
import { buildAuHeatmap } from '../science/heatmap';
import type { Expression } from '../science/labels';
import { EXPRESSIONS, parseExpression } from '../science/labels';
import { createMap } from '../science/raster';

export interface AuMapsRequest {
  readonly imagePath: string;
  /** An expression name (synonyms accepted) or 'all'. */
  readonly expression?: string;
  /** A codebook preset name or JSON file path. */
  readonly codebook?: string;
  /** Index of the one face to draw; every face when omitted. */
  readonly face?: number;
  readonly maxPixels?: number;
  readonly cacheDir?: string;
}

export interface FaceReport {
  readonly index: number;
  readonly box: DetectedFace['box'];
  readonly score: number;
  readonly method: DetectedFace['method'];
  readonly landmarks: DetectedFace['landmarks'];
}

export interface ExpressionReport {
  readonly expression: Expression;
  readonly aus: number[];
  readonly faces: { face: number; valid: boolean; reason?: string }[];
}

export interface AuMapsReport {
  readonly image: string;
  readonly width: number;
  readonly height: number;
  readonly codebook: string;
  readonly facesFound: number;
  readonly faces: FaceReport[];
  readonly expressions: ExpressionReport[];
}

/** A request the user can fix by changing what they asked for (bad expression, face index). */
export class AuMapsRequestError extends Error {
  override readonly name = 'AuMapsRequestError';
}

function expressionsToDraw(flag: string | undefined, codebook: Codebook): Expression[] {
  if (flag === undefined || flag === 'all') return EXPRESSIONS.filter((e) => ausForExpression(codebook, e).length > 0);
  const expression = parseExpression(flag);
  if (!expression) {
    throw new AuMapsRequestError(`unknown expression "${flag}"; use one of ${EXPRESSIONS.join(', ')} or all`);
  }
  return [expression];
}

function selectFaces(faces: readonly DetectedFace[], index: number | undefined, image: string): DetectedFace[] {
  if (faces.length === 0) {
    throw new Error(`no face found in ${image}; AU maps need a visible, roughly frontal face`);
  }
  if (index === undefined) return [...faces];
  const face = faces[index];
  if (!face) {
    throw new AuMapsRequestError(`face ${index} does not exist: ${faces.length} face(s) found (0–${faces.length - 1})`);
  }
  return [face];
}

export async function drawAuMaps(
  request: AuMapsRequest,
  detector: LandmarkDetector,
): Promise<{ png: Buffer; report: AuMapsReport }> {
  const codebook = await loadCodebook(request.codebook);
  const expressions = expressionsToDraw(request.expression, codebook);
  const image = await decodeImage(
    request.imagePath,
    request.maxPixels === undefined ? {} : { maxPixels: request.maxPixels },
  );
  const detected = await detectWithCache(detector, request.imagePath, {
    image,
    ...(request.cacheDir !== undefined && { dir: request.cacheDir }),
  });
  const faces = selectFaces(detected, request.face, request.imagePath);

  // A face that fills the image means the image itself is a face crop, whichever strategy found it.
  const frames = faces.map((f) => {
    const tight = isTightCrop(f.landmarks, image.width, image.height);
    return faceFrame(f.box, image.width, image.height, tight);
  });
  // Show the faces, not the whole photo: at tile size they would be too small to check the geometry.
  const view = viewOf(regionAround(frames, image.width, image.height));
  const reports: ExpressionReport[] = [];
  const tiles: Tile[] =
    expressions.length > 1 ? [{ title: `landmarks (${faces.length} face${faces.length > 1 ? 's' : ''})`, faces }] : [];
  for (const expression of expressions) {
    const aus = ausForExpression(codebook, expression);
    const display = createMap(view.width, view.height);
    const faceResults = faces.map((face, i) => {
      const frame = frames[i]!;
      const map = buildAuHeatmap(landmarksInFrame(face.landmarks, frame), FACE_FRAME_SIZE, FACE_FRAME_SIZE, aus);
      if (!map.valid) return { face: detected.indexOf(face), valid: false, reason: map.detail };
      pasteFrameMap(display, map.map, frame, view);
      return { face: detected.indexOf(face), valid: true };
    });
    reports.push({ expression, aus, faces: faceResults });
    const title = aus.length > 0 ? `${expression}: ${aus.map((a) => `AU${a}`).join(' ')}` : `${expression}: no AUs`;
    tiles.push(faceResults.some((r) => r.valid) ? { title, heatmap: display, faces } : { title, faces });
  }

  const png = await renderTileGrid(image, view, tiles);
  const report: AuMapsReport = {
    image: request.imagePath,
    width: image.width,
    height: image.height,
    codebook: codebook.name,
    facesFound: detected.length,
    faces: faces.map((f) => ({
      index: detected.indexOf(f),
      box: f.box,
      score: f.score,
      method: f.method,
      landmarks: f.landmarks,
    })),
    expressions: reports,
  };
  return { png, report };
}

/** The report as lines for a terminal or an output channel. */
export function formatAuMapsReport(report: AuMapsReport): string[] {
  const lines = [
    `${report.image}: ${report.width}×${report.height}, ${report.faces.length} face(s) drawn of ` +
      `${report.facesFound} found`,
  ];
  for (const f of report.faces) {
    lines.push(
      `  face ${f.index}: box ${Math.round(f.box.x)},${Math.round(f.box.y)} ` +
        `${Math.round(f.box.width)}×${Math.round(f.box.height)}, score ${f.score.toFixed(2)} (${f.method})`,
    );
  }
  for (const r of report.expressions) {
    const invalid = r.faces.filter((f) => !f.valid);
    const aus = r.aus.map((a) => `AU${a}`).join(' ') || '(no AUs)';
    lines.push(
      `  ${r.expression.padEnd(8)} ` +
        `${aus}${invalid.length ? ` — no map for ${invalid.length} face(s): ${invalid[0]!.reason}` : ''}`,
    );
  }
  return lines;
}
