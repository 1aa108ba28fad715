// Writes the sweep panel's e2e workspace: a λ × seed sweep whose runs are made up (test/helpers/sweepFixture.ts:
// run.json, progress.jsonl, an untrained best.ckpt and a test evaluation per run, one failed, one not started), or,
// with a real sweep file as the third argument, that sweep's file with its paths made absolute, so the panel shows
// its real runs (how the README's chart was made).
// Usage: node --import tsx scripts/e2e/make-sweep-fixture.ts WORKSPACE NAME [REAL.au-lens-sweep.json]
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeSweepFixture } from '../../test/helpers/sweepFixture';

const [ws, name, real] = process.argv.slice(2);
if (!ws || !name) throw new Error('usage: make-sweep-fixture.ts WORKSPACE NAME [REAL.au-lens-sweep.json]');
if (real) {
  const json = JSON.parse(readFileSync(real, 'utf8')) as { base: { data: string }; out?: string; name?: string };
  const from = path.dirname(path.resolve(real));
  json.base.data = path.resolve(from, json.base.data);
  json.out = path.resolve(from, json.out ?? path.join('runs', json.name ?? name));
  writeFileSync(path.join(ws, `${name}.au-lens-sweep.json`), `${JSON.stringify(json, null, 2)}\n`);
} else {
  void writeSweepFixture(ws, {
    name,
    sweep: { base: { data: 'faces', preset: 'tiny64', epochs: 30 }, axes: { lambda: [0, 1, 4, 9], seed: [0, 1, 2] } },
    states: { 'l9-s2': 'failed', 'l4-s2': 'running' },
  }).then(() => console.log(`wrote the sweep ${name} in ${ws}`));
}
