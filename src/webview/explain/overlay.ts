/**
 * The face the model saw with one map blended over it (opacity), or two maps side by side across a split line
 * that the user drags. The face is cut from the photo itself (the frame, in image pixels), so the page needs no
 * second image; maps are coloured once per result and scaled with the browser's smoothing.
 */
import type { ViewFace, ViewMap } from '../protocol/explain';
import { heatmapCanvas } from '../shared/colormap';

export interface OverlayFace {
  /** null while the photo loads or when it could not be loaded: a grey square stands in. */
  readonly photo: HTMLImageElement | null;
  readonly frame: { readonly x: number; readonly y: number; readonly side: number };
  /** Photo pixels per image pixel. */
  readonly scale: number;
  readonly face: ViewFace | undefined;
}

export interface OverlayOptions {
  readonly a: ViewMap | undefined;
  readonly b: ViewMap | undefined;
  /** 0–1. */
  readonly opacity: number;
  /** 0–1: where the line between map A (left) and map B (right) lies. */
  readonly split: number;
  readonly landmarks: boolean;
}

/** Grey where the frame reaches past the photo, as the data pipeline pads (io/image.ts ALPHA_BACKGROUND). */
const PAD = 'rgb(128, 128, 128)';

const cssVar = (name: string, fallback: string): string =>
  getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

export class FaceOverlay {
  private base: HTMLCanvasElement | undefined;
  private readonly colours = new Map<string, HTMLCanvasElement>();
  private face: OverlayFace | undefined;

  constructor(readonly canvas: HTMLCanvasElement) {}

  /** A new face (or a new result): forget the cached crop and coloured maps. */
  setFace(face: OverlayFace): void {
    this.face = face;
    this.base = cropCanvas(face, this.canvas.width);
    this.colours.clear();
  }

  draw(options: OverlayOptions): void {
    drawInto(this.canvas, this.base, options, (m) => this.coloured(m), this.face);
  }

  /** A small picture of one map over the face, for the map list. */
  thumbnail(map: ViewMap, side: number): HTMLCanvasElement {
    const canvas = document.createElement('canvas');
    canvas.width = side;
    canvas.height = side;
    drawInto(canvas, this.base, { a: map, b: undefined, opacity: 0.6, split: 1, landmarks: false }, (m) =>
      this.coloured(m), this.face);
    return canvas;
  }

  /** The current picture with a caption underneath, as PNG bytes. */
  async exportPng(caption: readonly string[]): Promise<Uint8Array> {
    const side = this.canvas.width;
    const lineHeight = 22;
    const out = document.createElement('canvas');
    out.width = side;
    out.height = side + 12 + lineHeight * caption.length;
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(this.canvas, 0, 0);
    ctx.fillStyle = cssVar('--vscode-editor-foreground', '#cccccc');
    ctx.font = `14px ${cssVar('--vscode-font-family', 'sans-serif')}`;
    caption.forEach((line, i) => ctx.fillText(line, 8, side + 6 + lineHeight * (i + 0.75), side - 16));
    const blob = await new Promise<Blob | null>((resolve) => out.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('the picture could not be encoded as PNG');
    return new Uint8Array(await blob.arrayBuffer());
  }

  private coloured(map: ViewMap): HTMLCanvasElement {
    let canvas = this.colours.get(map.id);
    if (!canvas) {
      canvas = heatmapCanvas(map.data, map.side);
      this.colours.set(map.id, canvas);
    }
    return canvas;
  }
}

/** The frame cut from the photo at `side` px, grey outside the photo. */
function cropCanvas(face: OverlayFace, side: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = PAD;
  ctx.fillRect(0, 0, side, side);
  const { photo, frame, scale } = face;
  if (!photo || !photo.naturalWidth) return canvas;
  const fx = frame.x * scale;
  const fy = frame.y * scale;
  const fs = frame.side * scale;
  // Only the part of the frame inside the photo: source rectangles past the edges are not drawn alike everywhere.
  const x0 = Math.max(0, fx);
  const y0 = Math.max(0, fy);
  const x1 = Math.min(photo.naturalWidth, fx + fs);
  const y1 = Math.min(photo.naturalHeight, fy + fs);
  if (x1 <= x0 || y1 <= y0) return canvas;
  const k = side / fs;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(photo, x0, y0, x1 - x0, y1 - y0, (x0 - fx) * k, (y0 - fy) * k, (x1 - x0) * k, (y1 - y0) * k);
  return canvas;
}

function drawInto(
  canvas: HTMLCanvasElement, base: HTMLCanvasElement | undefined, o: OverlayOptions,
  coloured: (map: ViewMap) => HTMLCanvasElement, face: OverlayFace | undefined,
): void {
  const side = canvas.width;
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, side, side);
  if (base) ctx.drawImage(base, 0, 0, side, side);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const splitX = Math.round(o.split * side);
  const layer = (map: ViewMap | undefined, x0: number, x1: number): void => {
    if (!map || x1 <= x0) return;
    ctx.save();
    ctx.beginPath();
    ctx.rect(x0, 0, x1 - x0, side);
    ctx.clip();
    ctx.globalAlpha = o.opacity;
    ctx.drawImage(coloured(map), 0, 0, side, side);
    ctx.restore();
  };
  if (o.b) {
    layer(o.a, 0, splitX);
    layer(o.b, splitX, side);
  } else layer(o.a, 0, side);

  if (o.landmarks && face?.face) {
    const { frame } = face;
    const k = side / frame.side;
    ctx.fillStyle = cssVar('--vscode-charts-green', '#89d185');
    for (const p of face.face.landmarks) {
      ctx.beginPath();
      ctx.arc((p.x - frame.x) * k, (p.y - frame.y) * k, Math.max(1.5, side / 220), 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  if (o.b && side > 120) {
    ctx.strokeStyle = cssVar('--vscode-focusBorder', '#007fd4');
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(splitX, 0);
    ctx.lineTo(splitX, side);
    ctx.stroke();
    label(ctx, o.a?.title ?? '', 6, 'left', splitX);
    label(ctx, o.b.title, side - 6, 'right', side - splitX);
  }
}

/** A map's name on a dark plate, clipped to its half. */
function label(ctx: CanvasRenderingContext2D, text: string, x: number, align: CanvasTextAlign, room: number): void {
  if (!text || room < 40) return;
  ctx.save();
  ctx.font = '13px sans-serif';
  const width = Math.min(ctx.measureText(text).width, room - 16);
  ctx.fillStyle = 'rgba(0, 0, 0, 0.6)';
  ctx.fillRect(align === 'left' ? x - 2 : x - width - 2, 6, width + 4, 20);
  ctx.fillStyle = '#ffffff';
  ctx.textAlign = align;
  ctx.fillText(text, x, 21, width);
  ctx.restore();
}
