/**
 * The whole photo with every detected face: its box, its 68 landmarks, and for the explained face the frame the model
 * saw.
 */
import type { ViewFace } from '../protocol/explain';
import { s } from '../shared/dom';

export interface PhotoOptions {
  readonly uri: string;
  readonly width: number;
  readonly height: number;
  readonly faces: readonly ViewFace[];
  readonly selected: number;
  readonly frame: { readonly x: number; readonly y: number; readonly side: number };
  /** Called when the user picks another face by clicking it or pressing Enter on it. */
  readonly onPick: (face: number) => void;
}

/** Replaces the contents of `svg` with the photo and its faces; coordinates are image pixels. */
export function drawPhoto(svg: SVGSVGElement, o: PhotoOptions): void {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${o.width} ${o.height}`);
  const faces = `${o.faces.length} face${o.faces.length === 1 ? '' : 's'}`;
  svg.setAttribute('aria-label',
    `The photo, ${o.width}×${o.height} pixels, with ${faces} found; face ${o.selected + 1} is explained`);
  // The preview (if any) is stretched back to image pixels, so boxes and landmarks need no rescaling.
  svg.append(s('image', { href: o.uri, x: 0, y: 0, width: o.width, height: o.height, preserveAspectRatio: 'none' }));
  const unit = Math.max(o.width, o.height) / 500;
  const f = o.frame;
  svg.append(s('rect', { class: 'frame', x: f.x, y: f.y, width: f.side, height: f.side, 'stroke-width': unit,
    'stroke-dasharray': `${4 * unit} ${3 * unit}` }));
  for (const face of o.faces) {
    const selected = face.index === o.selected;
    const b = face.box;
    const label = `Face ${face.index + 1}, detector score ${face.score.toFixed(2)}` +
      (selected ? ', explained' : ', select to explain it');
    const group = s('g', { class: selected ? 'face selected' : 'face', role: 'button', tabindex: 0, 'aria-label': label,
      'aria-pressed': selected ? 'true' : 'false' },
      s('title', {}, label),
      s('rect', { x: b.x, y: b.y, width: b.width, height: b.height, 'stroke-width': (selected ? 2 : 1.5) * unit }),
      s('text', { x: b.x, y: b.y - 3 * unit, 'font-size': 14 * unit }, String(face.index + 1)),
    );
    for (const p of face.landmarks) group.append(s('circle', { class: 'landmark', cx: p.x, cy: p.y, r: 1.4 * unit }));
    const pick = (): void => {
      if (!selected) o.onPick(face.index);
    };
    group.addEventListener('click', pick);
    group.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        pick();
      }
    });
    svg.append(group);
  }
}
