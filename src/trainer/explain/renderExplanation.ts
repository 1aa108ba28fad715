/**
 * An explanation as files: report.json, one PNG per map (the AU map, each layer's attention, each CAM) in the jet
 * colour map over the face crop the model saw, and a contact sheet of them all. The crop is resampled from the
 * photo at display size (not the model's 64–224 px input), so the face stays sharp under the maps.
 */
import * as path from 'node:path';
import { CAM_METHODS } from '../cam';
import { cropImage } from '../data/prepare';
import { writeFileAtomic } from '../io/atomicFile';
import type { RgbImage } from '../io/image';
import type { Tile, TileFace } from '../io/render';
import { renderTiles, tileGrid, viewOf } from '../io/render';
import { prepareAttention, prepareCam } from '../science/metrics/cosine';
import { normaliseMinMax, resizeBilinear } from '../science/raster';
import type { Explanation, ExplanationReport } from './explanation';

/** Side of each tile's face crop in pixels. */
export const DISPLAY_SIDE = 384;
const SHEET_COLUMNS = 4;

export interface WrittenExplanation {
  readonly dir: string;
  readonly report: string;
  /** One PNG per map, in sheet order. */
  readonly maps: readonly { readonly map: string; readonly file: string }[];
  readonly sheet: string;
}

const score = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(2));

/** The face's box and landmarks in crop pixels. */
function faceInCrop(e: Explanation, side: number): TileFace {
  const { frame, face } = e.maps;
  const k = side / frame.side;
  const b = face.box;
  return {
    box: { x: (b.x - frame.x) * k, y: (b.y - frame.y) * k, width: b.width * k, height: b.height * k },
    landmarks: face.landmarks.map((p) => ({ x: (p.x - frame.x) * k, y: (p.y - frame.y) * k })),
  };
}

/** Each map as a named tile, in the order the sheet shows them. */
function tilesOf(e: Explanation, side: number): { name: string; tile: Tile }[] {
  const r: ExplanationReport = e.report;
  const { maps } = e;
  const face = faceInCrop(e, side);
  const aus = r.explained.aus.map((a) => a.au).join(' ') || 'no AUs';
  const tiles: { name: string; tile: Tile }[] = [
    {
      name: 'face',
      tile: {
        title: `face ${r.face.index}: ${r.predicted.class} ${r.predicted.probability.toFixed(2)}`,
        faces: [face],
      },
    },
    {
      name: 'au-map',
      tile: maps.auFrameMap
        ? {
            title: `AU map · ${r.explained.class}: ${aus}`,
            heatmap: resizeBilinear(maps.auFrameMap, side, side),
            faces: [{ box: face.box, landmarks: [] }],
          }
        : { title: `AU map · ${r.explained.class}: none (${r.auMap.valid ? '' : r.auMap.reason})`, faces: [] },
    },
  ];
  for (const [layer, att] of maps.attention) {
    tiles.push({
      name: `attention-${layer}`,
      tile: {
        title: `${layer} attention · ATT-COS ${score(r.attCos[layer])}`,
        heatmap: normaliseMinMax(prepareAttention(att, side, side)),
        faces: [],
      },
    });
  }
  for (const [method, cam] of maps.cams) {
    tiles.push({
      // '+' is legal in file names but awkward in shells and URLs.
      name: `cam-${method.replace(/\+/g, 'p')}`,
      tile: {
        title: `${CAM_METHODS[method].title} (${r.explained.class}) · CAM-COS ${score(r.camCos[method])}`,
        heatmap: prepareCam(cam, side, side),
        faces: [],
      },
    });
  }
  return tiles;
}

/** Writes report.json, one PNG per map and sheet.png into `dir` (created if needed); each file atomically. */
export async function writeExplanation(e: Explanation, dir: string, side = DISPLAY_SIDE): Promise<WrittenExplanation> {
  const { image, face } = e.maps;
  // What the model saw, black around the box for a model that crops as face-api does.
  const crop: RgbImage = {
    width: side,
    height: side,
    data: cropImage(image, face, side, e.report.model.crop).rgb,
    source: image.source,
  };
  const view = viewOf({ x: 0, y: 0, width: side, height: side });
  const tiles = tilesOf(e, side);
  const rendered = await renderTiles(crop, view, tiles.map((t) => t.tile));
  const sheetPng = await tileGrid(rendered, view, SHEET_COLUMNS);
  // Every tile but the plain face is one map's PNG.
  // Layer names of imported models come from their sidecar and may hold path separators.
  const fileName = (name: string): string => `${name.replace(/[^\w.+-]+/g, '_')}.png`;
  const maps = tiles.flatMap((t, i) =>
    t.name === 'face' ? [] : [{ map: t.name, file: path.join(dir, fileName(t.name)), png: rendered[i]! }],
  );
  const sheet = path.join(dir, 'sheet.png');
  const report = path.join(dir, 'report.json');
  const files = {
    report: path.basename(report),
    sheet: path.basename(sheet),
    maps: maps.map((m) => ({ map: m.map, file: path.basename(m.file) })),
  };
  await Promise.all([
    ...maps.map((m) => writeFileAtomic(m.file, m.png)),
    writeFileAtomic(sheet, sheetPng),
    writeFileAtomic(report, `${JSON.stringify({ ...e.report, files }, null, 2)}\n`),
  ]);
  return { dir, report, maps: maps.map(({ map, file }) => ({ map, file })), sheet };
}
