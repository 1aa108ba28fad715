/**
 * The explanation page's "What the decision depends on" (docs/faithfulness.md): per AU of the explained class, the
 * drop of its probability when the AU is hidden beside its share of the CAM layer's attention, with a control
 * region of skin; and the deletion/insertion curves of the selected map against the random map's.
 */
import type { ViewFaithfulness } from '../protocol/explain';
import { fixed, h, percent, s } from '../shared/dom';

type Curves = Extract<NonNullable<ViewFaithfulness['maps'][string]['deletion']>, { status: 'ok' }>;

const W = 260;
const H = 150;
const PAD = 28;

/** One drop bar; a negative drop (hiding the region raised the score) gets an empty bar beside its value. */
function dropRow(label: string, name: string, drop: number | null, share: number | null, extra = ''): HTMLElement {
  const fill = h('span', { class: 'bar-fill' });
  fill.style.width = `${(100 * Math.max(0, Math.min(1, drop ?? 0))).toFixed(1)}%`;
  const shareText = share === null ? '' : ` · ${percent(share)} of the attention`;
  return h('div', { class: `bar-row${extra}`, role: 'listitem',
    'aria-label': `${label} ${name}: probability drop ${fixed(drop)}${shareText}` },
  h('span', { class: 'bar-label' }, h('strong', {}, label), name ? ` ${name}` : ''),
  h('span', { class: 'bar-track' }, fill),
  h('span', { class: 'bar-value' }, fixed(drop)),
  h('span', { class: 'bar-share' }, share === null ? '' : percent(share)));
}

function occlusionList(f: ViewFaithfulness): HTMLElement {
  const o = f.auOcclusion;
  if (!o) return h('p', { class: 'note' }, 'AU occlusion was not computed.');
  if (o.status === 'skipped') return h('p', { class: 'note' }, `No AU occlusion: ${o.detail}.`);
  const rows = f.aus.map((a) => dropRow(a.au, a.name, a.drop, a.share));
  rows.push(dropRow('control', 'skin of the same area', o.control?.drop ?? null, null, ' control'));
  return h('div', {},
    h('div', { class: 'bars energy', role: 'list', 'aria-label': `Drop of the ${f.class} probability per hidden AU` },
      h('div', { class: 'bar-row head', 'aria-hidden': 'true' }, h('span', {}, 'hidden'), h('span', {}),
        h('span', { class: 'bar-value' }, 'drop'), h('span', { class: 'bar-share' }, 'attention')),
      ...rows),
    h('p', { class: 'muted small' }, `AU selectivity ${fixed(o.auSelectivity)} (mean AU drop − control drop); ` +
      `${f.class} probability ${fixed(o.probability)} on the intact face; blur σ ${fixed(f.settings.blurSigma, 1)} px` +
      `${o.note ? `; ${o.note}` : ''}.`));
}

function polyline(fractions: readonly number[], values: readonly number[], cls: string): SVGPolylineElement {
  const points = fractions.map((x, i) =>
    `${(PAD + x * (W - PAD - 8)).toFixed(1)},${(H - PAD - values[i]! * (H - PAD - 8)).toFixed(1)}`);
  return s('polyline', { class: cls, points: points.join(' ') });
}

function chart(title: string, className: string, c: Curves, random: Curves | undefined): SVGSVGElement {
  const label = `Deletion and insertion curves of ${title}: deletion AUC ${fixed(c.deletion.auc)}, insertion AUC ` +
    `${fixed(c.insertion.auc)}${random ? `; random map ${fixed(random.deletion.auc)} and ` +
    `${fixed(random.insertion.auc)}` : ''}`;
  const text = (x: number, y: number, t: string, anchor = 'middle'): SVGTextElement =>
    s('text', { x, y, 'text-anchor': anchor }, t);
  return s('svg', { class: 'curves', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': label },
    s('line', { class: 'axis', x1: PAD, y1: H - PAD, x2: W - 8, y2: H - PAD }),
    s('line', { class: 'axis', x1: PAD, y1: 8, x2: PAD, y2: H - PAD }),
    text(PAD, H - PAD + 12, '0'), text(W - 8, H - PAD + 12, '1'), text((W + PAD) / 2, H - 4, 'share of pixels changed'),
    text(PAD - 4, H - PAD, '0', 'end'), text(PAD - 4, 14, '1', 'end'),
    s('text', { x: 0, y: 0, 'text-anchor': 'middle', transform: `translate(10 ${(H - PAD + 8) / 2}) rotate(-90)` },
      `${className} probability`),
    random ? polyline(random.deletion.fractions, random.deletion.probabilities, 'random') : null,
    random ? polyline(random.insertion.fractions, random.insertion.probabilities, 'random') : null,
    polyline(c.deletion.fractions, c.deletion.probabilities, 'deletion'),
    polyline(c.insertion.fractions, c.insertion.probabilities, 'insertion'));
}

/** The curves of the map with this faithfulness key, else of the CAM layer's attention (`fallback`). */
function curves(f: ViewFaithfulness, key: string, fallback: string): HTMLElement {
  const shown = f.maps[key]?.deletion ? key : fallback;
  const m = f.maps[shown];
  if (!m?.deletion) return h('p', { class: 'note' }, 'Deletion and insertion curves were not computed.');
  if (m.deletion.status === 'skipped') return h('p', { class: 'note' }, `No curves for ${m.title}: ` +
    `${m.deletion.detail}.`);
  const random = f.maps['random']?.deletion;
  const floor = random?.status === 'ok' ? random : undefined;
  return h('figure', { class: 'curves-figure' },
    chart(m.title, f.class, m.deletion, floor),
    h('figcaption', { class: 'small' },
      h('span', { class: 'key deletion' }, `deletion AUC ${fixed(m.deletion.deletion.auc)} (lower is better)`), ' · ',
      h('span', { class: 'key insertion' }, `insertion AUC ${fixed(m.deletion.insertion.auc)} (higher)`),
      floor ? h('span', { class: 'key random' }, ` · dashed: random map ${fixed(floor.deletion.auc)} / ` +
        `${fixed(floor.insertion.auc)}`) : '',
      shown === key ? '' : h('span', { class: 'muted' }, ` · the selected map is not scored; showing ${m.title}`)));
}

/** The section's content for the map selected over the face (its faithfulness key). */
export function faithfulnessSection(f: ViewFaithfulness, selectedKey: string, camLayerKey: string): HTMLElement[] {
  return [
    h('p', { class: 'reading-small' }, f.reading),
    h('div', { class: 'faith-layout' },
      h('div', {}, h('h3', { class: 'sub' }, `Hiding each AU of ${f.class}`), occlusionList(f)),
      h('div', {}, h('h3', { class: 'sub' }, 'Removing and inserting pixels in the map\'s order'),
        curves(f, selectedKey, camLayerKey))),
  ];
}
