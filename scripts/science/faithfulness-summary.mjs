// The faithfulness science table (docs/faithfulness.md): one row per group of runs, each cell the mean ± sd (n − 1)
// over the group's evaluations (`au-lens eval --faithfulness --json`) of accuracy, AU selectivity, and per map the
// deletion AUC (lower: removing what the map ranks first hurts sooner), insertion AUC (higher) and ROAD's combined
// score (higher), with how many runs the randomisation check flagged.
// Usage: node scripts/science/faithfulness-summary.mjs LABEL=EVAL.json,EVAL.json,... [LABEL=...]
import { readFileSync } from 'node:fs';
import { meanSd } from './meanSd.mjs';

const MAPS = ['attention:stage3', 'cam:gradcam++', 'au', 'random'];
const groups = process.argv.slice(2);
if (groups.length === 0) {
  console.error('usage: faithfulness-summary.mjs LABEL=EVAL.json,EVAL.json,... [LABEL=...]');
  process.exit(2);
}

const rows = groups.map((group) => {
  // The files are after the last '=': labels may hold one ('λ=0').
  const cut = group.lastIndexOf('=');
  const reports = group.slice(cut + 1).split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')).report);
  return { label: group.slice(0, cut), reports, f: reports.map((r) => r.faithfulness) };
});
const line = (cells) => console.log(`| ${cells.join(' | ')} |`);
const rule = (n) => console.log(`|${Array(n).fill('---').join('|')}|`);

line(['runs', 'n', 'accuracy %', 'AU selectivity', 'sanity flagged: attention', 'Grad-CAM++']);
rule(6);
for (const { label, reports, f } of rows) {
  const flagged = (map) => `${f.filter((x) => x.maps[map]?.sanity?.flagged === true).length}/${f.length}`;
  line([label, String(reports.length), meanSd(reports.map((r) => r.accuracy), 100, 1),
    meanSd(f.map((x) => x.auOcclusion.auSelectivity.average.value), 1, 4), flagged('attention:stage3'),
    flagged('cam:gradcam++')]);
}
console.log('');
const metrics = [['deletion', 'deletion AUC ↓'], ['insertion', 'insertion AUC ↑'], ['road', 'ROAD ↑']];
line(['map', ...metrics.flatMap(([, title]) => rows.map((r) => `${title} ${r.label}`))]);
rule(1 + metrics.length * rows.length);
for (const map of MAPS) {
  line([map, ...metrics.flatMap(([metric]) => rows.map(({ f }) => {
    const values = f.map((x) => x.maps[map]?.[metric]?.average?.value).filter((v) => typeof v === 'number');
    return values.length > 0 ? meanSd(values, 1, 3) : '–';
  }))]);
}
