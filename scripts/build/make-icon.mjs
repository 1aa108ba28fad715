// Draws media/icon.png (128×128, the Marketplace and Extensions view icon) from an SVG with sharp: a face whose
// action-unit regions (brows, eyes, mouth corners) glow like the heatmaps AU Lens shows, inside a lens ring.
// Run `node scripts/build/make-icon.mjs` after changing the drawing; the PNG is committed.
import { Buffer } from 'node:buffer';
import path from 'node:path';
import sharp from 'sharp';
import { extDir } from '../vsix/vsix-targets.mjs';

const glow = (cx, cy, r) => `<circle cx="${cx}" cy="${cy}" r="${r}" fill="url(#heat)"/>`;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <defs>
    <radialGradient id="heat"><stop offset="0" stop-color="#ff3b1f"/><stop offset="0.45" stop-color="#ffd400" stop-opacity="0.85"/><stop offset="1" stop-color="#1fb4ff" stop-opacity="0"/></radialGradient>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#243b55"/><stop offset="1" stop-color="#141e30"/></linearGradient>
  </defs>
  <rect width="128" height="128" rx="24" fill="url(#bg)"/>
  ${glow(44, 46, 20)}${glow(84, 46, 20)}${glow(40, 84, 18)}${glow(88, 84, 18)}
  <circle cx="64" cy="64" r="46" fill="none" stroke="#e8f1ff" stroke-width="7"/>
  <path d="M34 38 q10 -8 20 0 M74 38 q10 -8 20 0" fill="none" stroke="#e8f1ff" stroke-width="5" stroke-linecap="round"/>
  <circle cx="45" cy="52" r="5.5" fill="#e8f1ff"/><circle cx="83" cy="52" r="5.5" fill="#e8f1ff"/>
  <path d="M42 80 q22 20 44 0" fill="none" stroke="#e8f1ff" stroke-width="6" stroke-linecap="round"/>
  <path d="M97 97 l20 20" stroke="#e8f1ff" stroke-width="10" stroke-linecap="round"/>
</svg>`;

await sharp(Buffer.from(svg)).png({ compressionLevel: 9 }).toFile(path.join(extDir, 'media/icon.png'));
console.log('media/icon.png written');
