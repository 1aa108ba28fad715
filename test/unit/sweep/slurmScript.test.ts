import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { findExecutable, parseSacct, parseSbatch, parseSqueue, SlurmError } from '../../../src/trainer/sweep/slurm';
import { arraySpec, shellQuote, slurmScript } from '../../../src/trainer/sweep/slurmScript';
import type { SlurmScriptInput } from '../../../src/trainer/sweep/slurmScript';
import { chunks, latestTasks } from '../../../src/trainer/sweep/slurmSweep';
import { makeTempDir } from '../io/fixtures';

const input: SlurmScriptInput = {
  sweepName: 'lambda', out: '/shared/ws/runs/lambda', runs: ['l0-s0', 'l0-s1', "l4-s0's", 'l4-s1'], tasks: [0, 1, 3],
  command: { node: '/opt/node 20/bin/node', script: '/shared/au-lens/bin/au-lens.js' },
  resources: { partition: 'gpu', gres: 'gpu:1', cpus: 4, time: '2:00:00', parallel: 2 }, evaluate: true,
};

describe('the sweep\'s sbatch array script', () => {
  it('asks for the resources, and maps each array task to its run\'s config and log', () => {
    const script = slurmScript(input);
    const lines = script.split('\n');
    assert.equal(lines[0], '#!/bin/bash');
    for (const directive of [
      '--job-name=au-lens-lambda', '--array=0-1,3%2', '--output=/shared/ws/runs/lambda/slurm/%A_%a.out',
      '--error=/shared/ws/runs/lambda/slurm/%A_%a.out',
      '--chdir=/shared/ws/runs/lambda', '--partition=gpu', '--gres=gpu:1', '--cpus-per-task=4', '--time=2:00:00',
    ]) assert.ok(lines.includes(`#SBATCH ${directive}`), directive);
    // #SBATCH lines must come before the first command, or sbatch ignores them.
    const lastDirective = lines.map((l) => l.startsWith('#SBATCH')).lastIndexOf(true);
    assert.ok(lastDirective < lines.findIndex((l) => !l.startsWith('#') && l !== ''));
    assert.ok(lines.includes("node='/opt/node 20/bin/node'"));
    assert.ok(lines.includes("  'l4-s0'\\''s'"));
    assert.match(script, /^run="\$\{runs\[\$\(\(SLURM_ARRAY_TASK_ID \+ \$\{AU_LENS_SWEEP_OFFSET:-0\}\)\)\]\}"$/m);
    assert.match(script, /^log="\$out\/\$run\/slurm-\$\{SLURM_ARRAY_JOB_ID\}_\$\{SLURM_ARRAY_TASK_ID\}\.log"$/m);
    assert.ok(lines.includes('exec "$node" "$au_lens" sweep task "$out/configs/$run.au-lens-run.json" ' +
      '--threads "${SLURM_CPUS_PER_TASK:-1}" --evaluate >>"$log" 2>&1'));
    const minimal = slurmScript({ ...input, resources: {}, evaluate: false, tasks: [2] });
    assert.ok(minimal.includes('#SBATCH --array=2\n'));
    assert.doesNotMatch(minimal, /--partition|--gres|--cpus-per-task|--time|--evaluate/);
  });

  it('is a bash script that picks the right run for each task id and offset', async () => {
    const { dir, cleanup } = await makeTempDir('sbatch-script');
    try {
      // The node "binary" prints what it was asked to run, so the script's own shell logic is what is tested.
      const fakeNode = path.join(dir, 'node');
      await writeFile(fakeNode, '#!/bin/sh\necho "$@"\n');
      await chmod(fakeNode, 0o755);
      const script = path.join(dir, 'sweep.sbatch');
      const command = { node: fakeNode, script: '/x/au-lens.js' };
      await writeFile(script, slurmScript({ ...input, out: dir, command }));
      const runTask = (task: number, offset: number | undefined, run: string): string => {
        const env = {
          ...process.env, SLURM_ARRAY_TASK_ID: String(task), SLURM_ARRAY_JOB_ID: '77', SLURM_CPUS_PER_TASK: '3',
          ...(offset !== undefined && { AU_LENS_SWEEP_OFFSET: String(offset) }),
        };
        execFileSync('bash', [script], { env });
        return readFileSync(path.join(dir, run, `slurm-77_${task}.log`), 'utf8');
      };
      const host = execFileSync('hostname', { encoding: 'utf8' }).trim();
      assert.equal(runTask(1, undefined, 'l0-s1'), `task 77_1 on ${host}: run l0-s1\n` +
        `/x/au-lens.js sweep task ${dir}/configs/l0-s1.au-lens-run.json --threads 3 --evaluate\n`);
      assert.match(runTask(0, 2, "l4-s0's"), /sweep task .*\/configs\/l4-s0's\.au-lens-run\.json --threads 3/);
    } finally {
      await cleanup();
    }
  });

  it('refuses a directive value that would break its line', () => {
    assert.throws(() => slurmScript({ ...input, resources: { partition: 'gpu\n#SBATCH --x' } }),
      /--partition must be one word without spaces/);
    assert.throws(() => slurmScript({ ...input, resources: { time: '1 day' } }), /--time must be one word/);
    assert.throws(() => slurmScript({ ...input, tasks: [] }), /no task to submit/);
  });

  it('writes task ids as ranges, quotes for the shell, and splits arrays at the cluster\'s MaxArraySize', () => {
    assert.equal(arraySpec([5, 0, 1, 2, 9, 7, 8, 2]), '0-2,5,7-9');
    assert.equal(arraySpec([3]), '3');
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.deepEqual(chunks([0, 1, 999, 1000, 1001, 2500], 1001),
      [{ offset: 0, tasks: [0, 1, 999, 1000] }, { offset: 1001, tasks: [0] }, { offset: 2002, tasks: [498] }]);
  });
});

describe('Slurm\'s answers', () => {
  it('reads sbatch\'s job id, with or without a cluster name', () => {
    assert.equal(parseSbatch('123\n'), '123');
    assert.equal(parseSbatch('456;cluster-a\n'), '456');
    assert.throws(() => parseSbatch('sbatch: error: x'), SlurmError);
  });

  it('reads squeue and sacct lines, pending ranges as one task per id', () => {
    const squeue = [
      '12_0|RUNNING|None|node1', '12_3|PENDING|Resources|', '13_[4-6%2]|PENDING|JobArrayTaskLimit|',
      '12|RUNNING|None|n',
    ].join('\n');
    assert.deepEqual(parseSqueue(squeue), [
      { jobId: '12', task: 0, state: 'RUNNING', node: 'node1' },
      { jobId: '12', task: 3, state: 'PENDING', reason: 'Resources' },
      { jobId: '13', task: 4, state: 'PENDING', reason: 'JobArrayTaskLimit' },
      { jobId: '13', task: 5, state: 'PENDING', reason: 'JobArrayTaskLimit' },
      { jobId: '13', task: 6, state: 'PENDING', reason: 'JobArrayTaskLimit' },
    ]);
    const sacct = '12_1|CANCELLED by 0|0:15|node1\n12_2|FAILED|1:0|node2\n12_[3,5]|PENDING|0:0|None assigned\n';
    assert.deepEqual(parseSacct(sacct), [
      { jobId: '12', task: 1, state: 'CANCELLED', exitCode: '0:15', node: 'node1' },
      { jobId: '12', task: 2, state: 'FAILED', exitCode: '1:0', node: 'node2' },
      { jobId: '12', task: 3, state: 'PENDING', exitCode: '0:0' },
      { jobId: '12', task: 5, state: 'PENDING', exitCode: '0:0' },
    ]);
  });

  it('finds each run\'s latest task across submissions', () => {
    const submissions = [
      { jobId: '12', submittedAt: '', offset: 0, tasks: [0, 1], runs: ['a', 'b'] },
      { jobId: '15', submittedAt: '', offset: 0, tasks: [1], runs: ['b'] },
    ];
    const tasks = [{ jobId: '12', task: 0, state: 'COMPLETED' }, { jobId: '15', task: 1, state: 'PENDING' }];
    const latest = latestTasks(submissions, tasks);
    assert.deepEqual(latest.get('a'), { jobId: '12', task: 0, state: 'COMPLETED' });
    assert.deepEqual(latest.get('b'), { jobId: '15', task: 1, state: 'PENDING' });
    assert.deepEqual(latestTasks(submissions, []).get('a'), { jobId: '12', task: 0, state: 'UNKNOWN' });
  });

  it('finds executables on the PATH it is given', async () => {
    const { dir, cleanup } = await makeTempDir('sbatch-path');
    try {
      await mkdir(path.join(dir, 'bin'));
      await writeFile(path.join(dir, 'bin', 'sbatch'), '#!/bin/sh\n');
      assert.equal(findExecutable('sbatch', { PATH: path.join(dir, 'bin') }), undefined, 'not executable');
      await chmod(path.join(dir, 'bin', 'sbatch'), 0o755);
      const found = findExecutable('sbatch', { PATH: `/nonexistent${path.delimiter}${path.join(dir, 'bin')}` });
      assert.equal(found, path.join(dir, 'bin', 'sbatch'));
      assert.equal(findExecutable('sbatch', { PATH: '' }), undefined);
    } finally {
      await cleanup();
    }
  });
});
