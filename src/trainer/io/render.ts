/**
 * Draws overlays for humans: the photo, face boxes, landmarks and an AU heatmap in the jet colour map, as PNG
 * tiles in a grid. Used by `au-lens aumap` and, later, by explanation exports.
 */
import sharp from 'sharp';
import { jet } from '../science/colormap';
import type { Box, Heatmap, Landmarks68 } from '../science/types';
import type { RgbImage } from './image';

/**
 * The part of the image a tile shows and how it is scaled: large photos shrink, tiny crops (CK+48 is 48 px)
 * grow. (x, y) is the region's top-left corner in image pixels.
 */
export interface View {
  readonly x: number;
  readonly y: number;
  readonly regionWidth: number;
  readonly regionHeight: number;
  readonly scale: number;
  readonly width: number;
  readonly height: number;
}

const MAX_DISPLAY_SIDE = 640;
const MIN_DISPLAY_SIDE = 320;
const HEADER = 30;
const GAP = 6;

/** A view of a region of the image (integer pixels, inside the image), scaled to a comfortable size. */
export function viewOf(region: Box): View {
  const side = Math.max(region.width, region.height);
  const scale =
    side > MAX_DISPLAY_SIDE ? MAX_DISPLAY_SIDE / side : side < MIN_DISPLAY_SIDE ? MIN_DISPLAY_SIDE / side : 1;
  return {
    x: region.x,
    y: region.y,
    regionWidth: region.width,
    regionHeight: region.height,
    scale,
    width: Math.round(region.width * scale),
    height: Math.round(region.height * scale),
  };
}

export interface TileFace {
  readonly box: Box;
  readonly landmarks: Landmarks68;
}

export interface Tile {
  readonly title: string;
  /** Heatmap at display size, values in [0, 1]; omitted where there is none (neutral). */
  readonly heatmap?: Heatmap;
  readonly faces: readonly TileFace[];
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** jet at 256 levels: a per-pixel jet() call allocates and dominated rendering (~50 ms per 384² tile). */
const JET_LEVELS = 255;
const JET_TABLE: Uint8Array = (() => {
  const table = new Uint8Array((JET_LEVELS + 1) * 3);
  for (let i = 0; i <= JET_LEVELS; i++) table.set(jet(i / JET_LEVELS), i * 3);
  return table;
})();

/** Heatmap → RGBA with opacity growing with the value, so the face stays visible where the map is cold. */
function heatmapRgba(map: Heatmap, maxAlpha = 0.6): Buffer {
  const out = Buffer.alloc(map.width * map.height * 4);
  for (let i = 0; i < map.data.length; i++) {
    const raw = map.data[i]!;
    const v = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0;
    const k = Math.round(v * JET_LEVELS) * 3;
    out[i * 4] = JET_TABLE[k]!;
    out[i * 4 + 1] = JET_TABLE[k + 1]!;
    out[i * 4 + 2] = JET_TABLE[k + 2]!;
    out[i * 4 + 3] = Math.round(255 * maxAlpha * v);
  }
  return out;
}

function facesSvg(faces: readonly TileFace[], view: View): string {
  const s = view.scale;
  const px = (x: number): string => ((x - view.x) * s).toFixed(1);
  const py = (y: number): string => ((y - view.y) * s).toFixed(1);
  const parts = faces.map((f) => {
    const b = f.box;
    // Dots sized to the face, so small faces in a group photo stay readable.
    const dot = Math.max(1, Math.min(3, (b.width * s) / 80));
    const points = f.landmarks.map((p) => `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="${dot}"/>`).join('');
    return (
      `<rect x="${px(b.x)}" y="${py(b.y)}" width="${(b.width * s).toFixed(1)}" ` +
        `height="${(b.height * s).toFixed(1)}" fill="none" stroke="#00e5ff" stroke-width="2"/>` +
      `<g fill="#ffffff" stroke="#000000" stroke-width="0.6">${points}</g>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${view.width}" ` +
    `height="${view.height}">${parts.join('')}</svg>`;
}

function headerSvg(title: string, width: number): string {
  // Shrink long titles (anger has nine AUs) rather than cut them: DejaVu Sans averages ~0.6 em per character.
  const fontSize = Math.max(9, Math.min(14, (width - 16) / (0.6 * title.length)));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEADER}">` +
    `<rect width="100%" height="100%" fill="#1e1e1e"/>` +
    `<text x="8" y="20" font-family="DejaVu Sans, sans-serif" font-size="${fontSize.toFixed(1)}" ` +
      `fill="#f0f0f0">${escapeXml(title)}</text></svg>`
  );
}

async function renderTile(base: Buffer, view: View, tile: Tile): Promise<Buffer> {
  const layers: sharp.OverlayOptions[] = [];
  if (tile.heatmap) {
    if (tile.heatmap.width !== view.width || tile.heatmap.height !== view.height) {
      throw new RangeError(
        `heatmap is ${tile.heatmap.width}×${tile.heatmap.height}, display is ${view.width}×${view.height}`,
      );
    }
    layers.push({
      input: heatmapRgba(tile.heatmap),
      raw: { width: view.width, height: view.height, channels: 4 },
      top: HEADER,
      left: 0,
    });
  }
  layers.push({ input: Buffer.from(facesSvg(tile.faces, view)), top: HEADER, left: 0 });
  layers.push({ input: Buffer.from(headerSvg(tile.title, view.width)), top: 0, left: 0 });
  return sharp({ create: { width: view.width, height: view.height + HEADER, channels: 3, background: '#1e1e1e' } })
    .composite([{ input: base, top: HEADER, left: 0 }, ...layers])
    .png()
    .toBuffer();
}

/** Each tile as its own PNG: the view of the image under the tile's heatmap, faces and title. */
export async function renderTiles(image: RgbImage, view: View, tiles: readonly Tile[]): Promise<Buffer[]> {
  const base = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: view.x, top: view.y, width: view.regionWidth, height: view.regionHeight })
    .resize(view.width, view.height, { kernel: view.scale > 1 ? 'cubic' : 'lanczos3', fit: 'fill' })
    .png()
    .toBuffer();
  return Promise.all(tiles.map((t) => renderTile(base, view, t)));
}

/** Tiles rendered by renderTiles for `view`, in a grid of up to `columns` columns, as one PNG. */
export async function tileGrid(rendered: readonly Buffer[], view: View, columns = 4): Promise<Buffer> {
  const cols = Math.max(1, Math.min(columns, rendered.length));
  const rows = Math.ceil(rendered.length / cols);
  const tileW = view.width;
  const tileH = view.height + HEADER;
  return sharp({
    create: {
      width: cols * tileW + (cols - 1) * GAP,
      height: rows * tileH + (rows - 1) * GAP,
      channels: 3,
      background: '#000000',
    },
  })
    .composite(
      rendered.map((input, i) => ({
        input,
        left: (i % cols) * (tileW + GAP),
        top: Math.floor(i / cols) * (tileH + GAP),
      })),
    )
    .png()
    .toBuffer();
}

/** Renders the view of the image once per tile, in a grid of up to `columns` columns, and returns a PNG. */
export async function renderTileGrid(
  image: RgbImage,
  view: View,
  tiles: readonly Tile[],
  columns = 4,
): Promise<Buffer> {
  return tileGrid(await renderTiles(image, view, tiles), view, columns);
}
