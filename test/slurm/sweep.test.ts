/**
 * Sweeps on a real single-node Slurm cluster (scripts/slurm/cluster.sh: munged, slurmctld and slurmd started as
 * root with their state in a temp folder) and on this machine, through the built `au-lens` binary as a user runs
 * it: the same 2 × 2 grid of 1-epoch tiny64 runs on a few CK+48 crops both ways, metric for metric; status, cancel,
 * a failing task with its log, and Slurm's own error for a partition that does not exist.
 *
 * Skipped, saying why, when not root, when the cluster cannot start, when CK+48 is absent or the CLI is not built.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EvalRunResult } from '../../src/trainer/eval/evalFile';
import type { SweepStatus } from '../../src/trainer/sweep/sweepStatus';
import { ck48Dir, repoRoot } from '../helpers/paths';

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

const CLI = path.join(repoRoot, 'bin', 'au-lens.js');
const CLUSTER = path.join(repoRoot, 'scripts', 'slurm', 'cluster.sh');
/** A few crops per class, each of another subject, so the split by subject has validation and test subjects. */
const CLASSES = ['happy', 'surprise', 'sad'];
const SUBJECTS_PER_CLASS = 10;

describe('sweeps through Slurm and on this machine', function () {
  this.timeout(300_000);
  let dir = '';
  let clusterDir = '';
  let env: NodeJS.ProcessEnv = {};

  const cli = (args: string[], onSpawn?: (child: ChildProcess) => void): Promise<Run> => new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
    onSpawn?.(child);
  });

  const sweepFile = async (name: string, json: unknown): Promise<string> => {
    await writeFile(path.join(dir, `${name}.au-lens-sweep.json`), JSON.stringify(json, null, 2));
    return `${name}.au-lens-sweep.json`;
  };

  const status = async (file: string): Promise<SweepStatus> => {
    const r = await cli(['sweep', 'status', file, '--json']);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as SweepStatus;
  };

  /** Polls `sweep status` until `done` holds; fails with the last status after `seconds`. */
  const waitFor = async (file: string, done: (s: SweepStatus) => boolean, seconds: number): Promise<SweepStatus> => {
    const until = Date.now() + seconds * 1000;
    for (;;) {
      const s = await status(file);
      if (done(s)) return s;
      const states = s.runs.map((r) => [r.name, r.state, r.slurm?.state]);
      if (Date.now() > until) assert.fail(`not reached in ${seconds} s: ${JSON.stringify(states)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  /** Resolves once the run's progress.jsonl holds a step: the run is past data preparation and training. */
  const waitForStep = async (folder: string, seconds = 60): Promise<void> => {
    const until = Date.now() + seconds * 1000;
    while (!(await readFile(path.join(folder, 'progress.jsonl'), 'utf8').catch(() => '')).includes('"type":"step"')) {
      if (Date.now() > until) assert.fail(`${folder} logged no step in ${seconds} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async function () {
    const skip = (why: string): void => {
      console.log(`      skipped: ${why}`);
      this.skip();
    };
    if (process.getuid?.() !== 0) return skip('a Slurm cluster needs root (slurmd starts jobs as their users)');
    if (!existsSync(ck48Dir)) return skip(`${ck48Dir} is absent (CK+48 is research-only and lives outside the repo)`);
    if (!existsSync(path.join(repoRoot, 'dist', 'cli.js'))) return skip('the CLI is not built: npm run build');
    dir = await mkdtemp(path.join(os.tmpdir(), 'au-lens-slurm-'));
    clusterDir = path.join(dir, 'cluster');
    const started = Date.now();
    const conf = await new Promise<string | undefined>((resolve) => {
      execFile('bash', [CLUSTER, 'start', clusterDir], (err, stdout, stderr) => {
        if (err) console.log(`      the cluster did not start: ${stderr.trim() || err.message}`);
        resolve(err ? undefined : /^export SLURM_CONF=(.+)$/m.exec(stdout)?.[1]);
      });
    });
    if (!conf) return skip('Slurm could not start (above)');
    console.log(`      single-node Slurm cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // The landmark cache is shared by every run (and kept out of the user's), as on a cluster's shared home.
    env = { ...process.env, SLURM_CONF: conf, XDG_CACHE_HOME: path.join(dir, 'cache') };
    for (const cls of CLASSES) {
      await mkdir(path.join(dir, 'data', cls), { recursive: true });
      const files = (await readdir(path.join(ck48Dir, cls))).filter((f) => f.endsWith('.png')).sort();
      const firstOfSubject = files.filter((f, i) => i === 0 || f.slice(0, 4) !== files[i - 1]!.slice(0, 4));
      for (const f of firstOfSubject.slice(0, SUBJECTS_PER_CLASS)) {
        await copyFile(path.join(ck48Dir, cls, f), path.join(dir, 'data', cls, f));
      }
    }
  });

  after(async () => {
    if (clusterDir) await new Promise((resolve) => execFile('bash', [CLUSTER, 'stop', clusterDir], resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // threads 1: the runs are bit-for-bit the same whichever process, node or CPU count trains them.
  const base = { data: 'data', preset: 'tiny64', epochs: 1, batch: 4, threads: 1 };
  const grid = { lambda: [0, 4], seed: [1, 2] };

  it('trains a 2 × 2 sweep through Slurm and locally to the same metrics, run by run; status sees it', async () => {
    const slurm = await sweepFile('grid-slurm', { base, axes: grid });
    const local = await sweepFile('grid-local', { base, axes: grid });
    const submitted = await cli(['sweep', 'run', slurm, '--slurm', '--cpus', '1', '--time', '10:00']);
    assert.equal(submitted.code, 0, submitted.err);
    assert.match(submitted.out, /^submitted job \d+: 4 task\(s\)$/m);
    // The local sweep trains while Slurm runs its tasks: one at a time here, so the machine's two cores are shared.
    const ran = await cli(['sweep', 'run', local, '--local', '--parallel', '1']);
    assert.equal(ran.code, 0, ran.err + ran.out);
    assert.match(ran.out, /sweep "grid-local": 4 completed/);
    const done = await waitFor(slurm, (s) => s.runs.every((r) => r.state === 'completed' || r.state === 'failed'), 120);
    assert.deepEqual(done.runs.map((r) => [r.name, r.state, r.slurm?.state, r.evaluated]), [
      ['l0-s1', 'completed', 'COMPLETED', true], ['l0-s2', 'completed', 'COMPLETED', true],
      ['l4-s1', 'completed', 'COMPLETED', true], ['l4-s2', 'completed', 'COMPLETED', true],
    ]);
    for (const run of done.runs) assert.match(run.log ?? '', /\/slurm-\d+_\d\.log$/);

    const numbers = async (out: string, run: string): Promise<unknown> => {
      const folder = path.join(dir, 'runs', out, run);
      const events = (await readFile(path.join(folder, 'progress.jsonl'), 'utf8')).trim().split('\n');
      // Everything but the time an epoch took.
      const epochs = events.map((l) => JSON.parse(l) as { type: string }).filter((e) => e.type === 'epoch')
        .map((e) => ({ ...e, seconds: 0 }));
      const evaluation = JSON.parse(await readFile(path.join(folder, 'eval-data.json'), 'utf8')) as EvalRunResult;
      const { accuracy, balancedAccuracy, attCos, camCos, confusion } = evaluation.report;
      return { epochs, test: { accuracy, balancedAccuracy, attCos, camCos, confusion } };
    };
    for (const run of ['l0-s1', 'l0-s2', 'l4-s1', 'l4-s2']) {
      assert.deepEqual(await numbers('grid-slurm', run), await numbers('grid-local', run), run);
    }
    const text = await cli(['sweep', 'status', slurm]);
    assert.match(text.out, /^sweep "grid-slurm": 4 run\(s\) — 4 completed$/m);
    assert.match(text.out, /^ {2}l4-s2 +completed +1\/1 +\S+ % +yes +\d+_3 COMPLETED$/m);
  });

  it('cancels the queued and running tasks: the running run saves last.ckpt; both are submitted again', async () => {
    const file = await sweepFile('cancel', { base: { ...base, epochs: 6 }, axes: { seed: [1, 2] } });
    const submitted = await cli(['sweep', 'run', file, '--slurm', '--parallel', '1']);
    assert.equal(submitted.code, 0, submitted.err);
    await waitForStep(path.join(dir, 'runs', 'cancel', 's1'));
    const cancelled = await cli(['sweep', 'cancel', file]);
    assert.equal(cancelled.code, 0, cancelled.err);
    assert.match(cancelled.out, /^cancelled Slurm job\(s\) \d+; their runs save last\.ckpt and stop$/m);
    const over = (st: SweepStatus): boolean =>
      st.runs.every((r) => r.slurm?.state === 'CANCELLED' && r.record?.status !== 'running');
    const s = await waitFor(file, over, 60);
    assert.deepEqual(s.runs.map((r) => [r.name, r.state, r.record?.status]),
      [['s1', 'cancelled', 'cancelled'], ['s2', 'cancelled', undefined]]);
    assert.ok(existsSync(path.join(dir, 'runs', 'cancel', 's1', 'last.ckpt')));
    const again = await cli(['sweep', 'run', file, '--slurm', '--dry-run']);
    assert.match(again.out, /^#SBATCH --array=0-1$/m);
  });

  it('reports a failing task with its error and the end of its log', async () => {
    await mkdir(path.join(dir, 'empty', 'happy'), { recursive: true });
    const file = await sweepFile('broken', { base: { ...base, data: 'empty' }, axes: { seed: [1] } });
    const submitted = await cli(['sweep', 'run', file, '--slurm']);
    assert.equal(submitted.code, 0, submitted.err);
    const s = await waitFor(file, (st) => st.runs[0]!.state === 'failed' && st.runs[0]!.slurm?.state === 'FAILED', 60);
    const failed = s.runs[0]!;
    assert.ok(failed.error && failed.record?.status === 'failed', JSON.stringify(failed));
    const text = await cli(['sweep', 'status', file]);
    const log = failed.log!;
    assert.match(log, /broken\/s1\/slurm-\d+_0\.log$/);
    assert.ok(text.out.includes(`s1 failed: ${failed.error}\n  log: ${log}\n  | task `), text.out);
    assert.ok(text.out.endsWith(`  | s1: starting\n  | au-lens sweep: ${failed.error}\n`), text.out);
  });

  it('shows Slurm\'s own error for a partition that does not exist, and records no job', async () => {
    const file = await sweepFile('partition', { base, axes: { seed: [1] } });
    const r = await cli(['sweep', 'run', file, '--slurm', '--partition', 'no-such-partition']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^au-lens sweep: Slurm refused the job: sbatch: error: invalid partition specified: no-such-/m);
    assert.equal(existsSync(path.join(dir, 'runs', 'partition', 'slurm-jobs.json')), false);
  });

  it('locally, Ctrl-C stops the runs after their step, last.ckpt saved; the same command resumes them', async () => {
    const file = await sweepFile('interrupt', { base: { ...base, epochs: 3 }, axes: { seed: [1] } });
    const folder = path.join(dir, 'runs', 'interrupt', 's1');
    const ctrlC = (child: ChildProcess): void => void waitForStep(folder).then(() => child.kill('SIGINT'));
    const stopped = await cli(['sweep', 'run', file, '--local'], ctrlC);
    assert.equal(stopped.code, 1, stopped.out);
    assert.match(stopped.err, /stopping: each run saves last\.ckpt after its current step/);
    assert.match(stopped.err, /au-lens sweep: stopped; run the same command again to resume/);
    assert.equal(JSON.parse(await readFile(path.join(folder, 'run.json'), 'utf8')).status, 'cancelled');
    const resumed = await cli(['sweep', 'run', file, '--local']);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(await readFile(path.join(folder, 'local.log'), 'utf8'), /s1: resuming, the run is cancelled/);
    assert.equal(JSON.parse(await readFile(path.join(folder, 'run.json'), 'utf8')).status, 'completed');
  });
});
