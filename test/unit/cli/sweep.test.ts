import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { runCli } from '../../../src/trainer/cli/main';
import { writeRunRecord } from '../../../src/trainer/train/runLog';
import { makeTempDir } from '../io/fixtures';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function cli(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Runs `body` with environment variables changed, then puts them back. */
async function withEnv<T>(change: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(change).map((k) => [k, process.env[k]]));
  Object.assign(process.env, change);
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('au-lens sweep', function () {
  this.timeout(60_000);
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  const base = { data: 'data', preset: 'tiny64', epochs: 1 };
  const sweepFile = async (name: string, json: unknown): Promise<string> => {
    const file = path.join(dir, `${name}.au-lens-sweep.json`);
    await writeFile(file, JSON.stringify(json));
    return file;
  };
  let tty: PropertyDescriptor | undefined;

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('sweep-cli'));
    // As in CI: no terminal to ask at, so a large sweep wants --yes.
    tty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
  });
  after(async () => {
    if (tty) Object.defineProperty(process.stdin, 'isTTY', tty);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
    await cleanup();
  });

  it('plan prints the runs and writes their run configs and the plan, and nothing else', async () => {
    const file = await sweepFile('grid', { base, axes: { lambda: [0, 4], layers: [['stage3']], seed: [1, 2] } });
    const r = await cli('sweep', 'plan', file);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.split('\n').slice(0, 6).join('\n'), [
      `sweep "grid": 4 run(s) in ${dir}/runs/grid`,
      '  #  run           lambda  layers  seed',
      '  0  l0-stage3-s1  0       stage3  1',
      '  1  l0-stage3-s2  0       stage3  2',
      '  2  l4-stage3-s1  4       stage3  1',
      '  3  l4-stage3-s2  4       stage3  2',
    ].join('\n'));
    assert.deepEqual((await readdir(path.join(dir, 'runs', 'grid'))).sort(), ['configs', 'sweep-plan.json']);
    assert.equal((await readdir(path.join(dir, 'runs', 'grid', 'configs'))).length, 4);
    const status = await cli('sweep', 'status', file);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /^sweep "grid": 4 run\(s\) — 4 not started\n {2}run +state +epochs/);
  });

  it('names what is wrong with a sweep file, writing nothing', async () => {
    const cases: [json: unknown, message: RegExp][] = [
      [{ base, axes: { lamda: [0, 1] } }, /: unknown setting "lamda" in axes; the settings are data, preset/],
      [{ base, axes: { lambda: [] } }, /: axes\.lambda is empty: give at least one value/],
      [{ base, axes: {} }, /: the sweep has no grid/],
    ];
    for (const [json, message] of cases) {
      const file = await sweepFile('bad', json);
      const r = await cli('sweep', 'plan', file);
      assert.equal(r.code, 1, r.out);
      assert.match(r.err, new RegExp(`^au-lens sweep: ${file}${message.source}`));
      assert.equal(existsSync(path.join(dir, 'runs', 'bad')), false);
    }
  });

  it('asks before more than 1,000 runs: without a terminal it wants --yes', async () => {
    const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
    const file = await sweepFile('large', { base, axes: { lambda: range(41), seed: range(25) } });
    const refused = await cli('sweep', 'plan', file);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /the sweep expands to 1,025 runs \(more than 1,000\); pass --yes to go ahead/);
    assert.equal(existsSync(path.join(dir, 'runs', 'large')), false);
    const local = await cli('sweep', 'run', file, '--local');
    assert.match(local.err, /pass --yes/);
    const r = await cli('sweep', 'plan', file, '--yes');
    assert.equal(r.code, 0, r.err);
    assert.equal((await readdir(path.join(dir, 'runs', 'large', 'configs'))).length, 1025);
  });

  it('without sbatch on the PATH offers --local and writes nothing; --dry-run prints the array script', async () => {
    const file = await sweepFile('slurm', { base, axes: { seed: [0, 1, 2] } });
    const r = await withEnv({ PATH: path.join(dir, 'no-slurm-here') }, () => cli('sweep', 'run', file, '--slurm'));
    assert.equal(r.code, 1);
    assert.match(r.err, /sbatch is not on the PATH, so this machine cannot submit to Slurm\. Run the sweep/);
    assert.match(r.err, /with --local, or run it on the cluster's login node/);
    assert.equal(existsSync(path.join(dir, 'runs', 'slurm')), false);

    const flags = [
      '--partition', 'gpu', '--gres', 'gpu:1', '--cpus', '4', '--time', '1:00:00', '--parallel', '2',
      '--node', '/opt/node/bin/node',
    ];
    const noSlurm = { PATH: path.join(dir, 'no-slurm-here') };
    const dry = await withEnv(noSlurm, () => cli('sweep', 'run', file, '--slurm', '--dry-run', ...flags));
    assert.equal(dry.code, 0, dry.err);
    const directives = [
      'job-name=au-lens-slurm', 'array=0-2%2', 'partition=gpu', 'gres=gpu:1', 'cpus-per-task=4', 'time=1:00:00',
    ];
    for (const line of [...directives.map((d) => `#SBATCH --${d}`), "node='/opt/node/bin/node'", "  's0'", "  's2'"]) {
      assert.ok(dry.out.split('\n').includes(line), line);
    }
    assert.deepEqual((await readdir(path.join(dir, 'runs', 'slurm'))).sort(), ['configs', 'sweep-plan.json'],
      'a dry run submits nothing and writes no script');
  });

  it('status shows the run folders\' states when squeue fails (no controller), and run --slurm then submits nothing',
    async () => {
      const file = await sweepFile('copied', { base, axes: { seed: [0, 1] } });
      assert.equal((await cli('sweep', 'plan', file)).code, 0);
      const out = path.join(dir, 'runs', 'copied');
      const submission = { jobId: '7', submittedAt: '', offset: 0, tasks: [0, 1], runs: ['s0', 's1'] };
      await writeFile(path.join(out, 'slurm-jobs.json'), JSON.stringify([submission]));
      const settings = {
        data: path.join(dir, 'data'), out: path.join(out, 's0'), preset: 'tiny64', epochs: 1, seed: 0,
      };
      await writeRunRecord(settings.out, {
        version: 1, name: 's0', status: 'completed', settings, pid: 1, startedAt: '', updatedAt: '',
        epochs: { done: 1, total: 1 },
      });
      const bin = path.join(dir, 'broken-slurm');
      await mkdir(bin, { recursive: true });
      for (const tool of ['squeue', 'sbatch']) {
        const script = '#!/bin/sh\necho "squeue: fatal: Could not establish a configuration source" >&2\nexit 1\n';
        await writeFile(path.join(bin, tool), script);
        await chmod(path.join(bin, tool), 0o755);
      }
      const env = { PATH: `${bin}:${process.env.PATH ?? ''}` };
      const status = await withEnv(env, () => cli('sweep', 'status', file));
      assert.equal(status.code, 0, status.err);
      assert.match(status.out, /1 completed, 1 not started/);
      assert.match(status.out, /\(squeue failed: .*Could not establish a configuration source: the Slurm tasks'/);
      const run = await withEnv(env, () => cli('sweep', 'run', file, '--slurm'));
      assert.equal(run.code, 1);
      assert.match(run.err, /squeue failed: .*Could not establish a configuration source/);
      assert.equal(existsSync(path.join(out, 'sweep.sbatch')), false);
    });

  it('starts nothing while a run folder holds a run with other settings, and says which', async () => {
    const file = await sweepFile('changed', { base, axes: { seed: [0, 1] } });
    const folder = path.join(dir, 'runs', 'changed', 's1');
    const settings = { data: path.join(dir, 'data'), out: folder, preset: 'tiny64', seed: 1, lambda: 9 };
    await writeRunRecord(folder, {
      version: 1, name: 's1', status: 'completed', settings, pid: 1, startedAt: '', updatedAt: '',
      epochs: { done: 1, total: 1 },
    });
    const r = await cli('sweep', 'run', file, '--local');
    assert.equal(r.code, 1);
    assert.match(r.err, /^au-lens sweep: nothing was started:\ns1: the run folder holds a run with other settings/);
    assert.match(r.err, /\(lambda 9 → default\); delete that run folder, or give the sweep another "out"$/);
    assert.equal(existsSync(path.join(dir, 'runs', 'changed', 'configs')), false);
  });

  it('refuses flags that do not fit, with the usage', async () => {
    const file = await sweepFile('flags', { base, axes: { seed: [0] } });
    const cases: [argv: string[], message: RegExp][] = [
      [['sweep'], /give a sweep command: plan, run, status or cancel/],
      [['sweep', 'go', file], /unknown sweep command "go"/],
      [['sweep', 'plan'], /give the sweep file/],
      [['sweep', 'run', file], /choose where the runs train: --local \(here\) or --slurm/],
      [['sweep', 'run', file, '--local', '--slurm'], /choose where the runs train/],
      [['sweep', 'run', file, '--local', '--partition', 'gpu'], /--partition is for --slurm/],
      [['sweep', 'run', file, '--local', '--parallel', '0'], /--parallel must be at least 1/],
      [['sweep', 'run', file, '--slurm', '--cpus', 'many'], /--cpus must be a non-negative integer/],
      [['sweep', 'status', file, '--bogus'], /Unknown option '--bogus'/],
      [['sweep', 'task'], /give the run config file: au-lens sweep task CONFIG/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
      assert.match(r.err, /Usage: au-lens sweep plan\|run\|status\|cancel FILE/);
    }
  });
});
