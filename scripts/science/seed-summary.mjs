// The science scripts' table: one row per run name, each cell the mean ± sd (n − 1) over the seeds of what
// `au-lens eval --json` wrote to OUT/<run>-seed-<seed>.eval.json (the mean alone for one seed).
// Usage: node scripts/science/seed-summary.mjs OUT_DIR SEEDS FIRST_COLUMN LABEL=RUN...   (SEEDS: 0,1,2)
import { readFileSync } from 'node:fs';
import { meanSd } from './meanSd.mjs';

const CAM_NAMES = { cam: 'CAM', gradcam: 'Grad-CAM', 'gradcam++': 'Grad-CAM++', layercam: 'LayerCAM' };
const [out, seedList, firstColumn, ...rows] = process.argv.slice(2);
if (!out || !seedList || !firstColumn || rows.length === 0) {
  console.error('usage: seed-summary.mjs OUT_DIR SEEDS FIRST_COLUMN LABEL=RUN...');
  process.exit(2);
}
const seeds = seedList.split(',');

const table = rows.map((row) => {
  // The run is after the last '=': labels may hold one ('λ=0').
  const cut = row.lastIndexOf('=');
  const [label, run] = cut < 0 ? [row, row] : [row.slice(0, cut), row.slice(cut + 1)];
  const reports = seeds.map((s) => JSON.parse(readFileSync(`${out}/${run}-seed-${s}.eval.json`, 'utf8')).report);
  const first = reports[0];
  // A ViT also gets its rollout, the map made to explain a transformer, beside the CAM layer.
  const rollout = 'rollout' in first.attCos.byKey;
  return {
    rollout,
    methods: first.methods,
    camLayer: first.camLayer,
    cells: [
      label,
      meanSd(reports.map((r) => r.accuracy), 100, 1),
      meanSd(reports.map((r) => r.balancedAccuracy), 100, 1),
      meanSd(reports.map((r) => r.attCos.byKey[r.camLayer].average), 1, 3),
      ...(rollout ? [meanSd(reports.map((r) => r.attCos.byKey.rollout.average), 1, 3)] : []),
      ...first.methods.map((m) => meanSd(reports.map((r) => r.camCos.byKey[m].average), 1, 3)),
    ],
  };
});
const { methods, rollout } = table[0];
if (seeds.length > 1) console.log(`Mean ± sd over seeds ${seedList}:`);
const layers = [...new Set(table.map((t) => t.camLayer))].join('/');
const header = [firstColumn, 'accuracy %', 'balanced %', `ATT-COS (${layers})`,
  ...(rollout ? ['ATT-COS (rollout)'] : []), ...methods.map((m) => CAM_NAMES[m] ?? m)];
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const t of table) console.log(`| ${t.cells.join(' | ')} |`);
