import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadSweep } from '../../../src/trainer/sweep/loadSweep';
import { JsonFileError, readJsonFile } from '../../../src/trainer/sweep/readJson';
import { SweepError } from '../../../src/trainer/sweep/sweepFile';
import {
  configFile, PLAN_FORMAT, planFile, readSweepPlan, SweepPlanError, writeSweepPlan,
} from '../../../src/trainer/sweep/sweepPlan';
import { parseRunConfig } from '../../../src/trainer/train/runConfig';
import { makeTempDir } from '../io/fixtures';

describe('sweep plans', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  before(async () => {
    ({ dir, cleanup } = await makeTempDir('sweep-plan'));
  });
  after(() => cleanup());

  it('writes one run config per run, which reads back as the run, and the plan that lists them', async () => {
    const file = path.join(dir, 'grid.au-lens-sweep.json');
    const base = { data: 'data/ck48', epochs: 1, codebook: 'my.codebook.json' };
    const json = { base, axes: { lambda: [0, 4], seed: [1] }, points: [{ preset: 'tiny64' }] };
    await writeFile(file, JSON.stringify(json));
    const { sweep, runs } = await loadSweep(file);
    const plan = await writeSweepPlan(sweep, runs, new Date('2026-01-02T03:04:05Z'));
    assert.deepEqual(await readSweepPlan(planFile(sweep.out)), plan);
    assert.equal(plan.format, PLAN_FORMAT);
    assert.equal(plan.sweep, '../../grid.au-lens-sweep.json');
    assert.deepEqual(plan.settings, ['lambda', 'seed', 'preset']);
    assert.deepEqual(plan.runs.map((r) => [r.index, r.name, r.config, r.folder]), [
      [0, 'tiny64-l0-s1', 'configs/tiny64-l0-s1.au-lens-run.json', 'tiny64-l0-s1'],
      [1, 'tiny64-l4-s1', 'configs/tiny64-l4-s1.au-lens-run.json', 'tiny64-l4-s1'],
    ]);
    for (const run of runs) {
      const configPath = configFile(sweep, run.name);
      const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
      assert.equal(config['data'], '../../../data/ck48');
      assert.equal(config['out'], `../${run.name}`);
      assert.deepEqual(parseRunConfig(config, configPath), run.request);
    }
  });

  it('names the sweep file in every error, and reads only small regular files', async () => {
    const bad = path.join(dir, 'bad.au-lens-sweep.json');
    await writeFile(bad, JSON.stringify({ base: { data: 'd' }, axes: { lamda: [1] } }));
    await assert.rejects(loadSweep(bad),
      (err: unknown) => err instanceof SweepError && err.message.startsWith(`${bad}: unknown setting "lamda"`));
    await writeFile(path.join(dir, 'other.json'), JSON.stringify({ format: 'something-else' }));
    await assert.rejects(readSweepPlan(path.join(dir, 'other.json')), SweepPlanError);
    const incomplete = { format: PLAN_FORMAT, version: 1, name: 'x', runs: [{ name: 'a' }] };
    await writeFile(path.join(dir, 'old.json'), JSON.stringify(incomplete));
    await assert.rejects(readSweepPlan(path.join(dir, 'old.json')), /the plan is incomplete/);
    await writeFile(path.join(dir, 'torn.json'), '{"base": ');
    await assert.rejects(readJsonFile(path.join(dir, 'torn.json')), /torn\.json is not valid JSON/);
    await writeFile(path.join(dir, 'big.json'), JSON.stringify({ pad: 'x'.repeat(2000) }));
    await assert.rejects(readJsonFile(path.join(dir, 'big.json'), 1000), /big\.json is \d+ bytes, more than the 1000/);
    await mkdir(path.join(dir, 'folder.json'));
    await assert.rejects(readJsonFile(path.join(dir, 'folder.json')), /folder\.json is not a regular file/);
    await assert.rejects(readJsonFile(path.join(dir, 'absent.json')),
      (err: unknown) => err instanceof JsonFileError && err.code === 'ENOENT');
    // A FIFO must be refused at once, not block the reader until something writes to it.
    const fifo = path.join(dir, 'pipe.au-lens-sweep.json');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(readJsonFile(fifo), /pipe\.au-lens-sweep\.json is not a regular file/);
  });
});
