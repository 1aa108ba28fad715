import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { runCli } from '../../../src/trainer/cli/main';
import { newRunFolderProblem, runOwns } from '../../../src/trainer/train/runFiles';
import { useTrainingWorkspace } from './fixtures';

describe('run folders: what a run owns, and where a new run may go', function () {
  this.timeout(60_000);
  const ws = useTrainingWorkspace('run-files');

  it('a run owns its status, lock, log, manifest, checkpoints, evaluations, exports, sweep logs and temp files', () => {
    for (const name of ['run.json', 'run.lock', 'progress.jsonl', 'manifest.json', 'best.ckpt', 'epoch3.ckpt',
      'eval-ck48.json', 'r1-best.onnx', 'r1-best.au-lens.json', '.run.json.123.ab12cd34.tmp', '.last.ckpt.9.ff.tmp',
      'local.log', 'slurm-7_0.log']) {
      assert.equal(runOwns('r1', name), true, name);
    }
    for (const name of ['notes.md', 'data.csv', 'other-best.onnx', 'model.onnx', '.bashrc', '.notes.md.1.aa.tmp',
      'run.json.bak', 'slurm-7.out', 'build.log']) {
      assert.equal(runOwns('r1', name), false, name);
    }
  });

  it('a new run goes into a new, empty or run-only folder; not the data, a folder above it, or other files', async () => {
    assert.equal(await newRunFolderProblem(path.join(ws.root, 'runs', 'new'), ws.data), undefined);
    const started = path.join(ws.root, 'runs', 'started');
    await mkdir(started, { recursive: true });
    await writeFile(path.join(started, 'run.lock'), '{}');
    assert.equal(await newRunFolderProblem(started, ws.data), undefined);
    assert.match(await newRunFolderProblem(ws.data, ws.data) ?? '', /is the dataset's folder or holds it/);
    assert.match(await newRunFolderProblem(ws.root, ws.data) ?? '', /is the dataset's folder or holds it/);
    const mine = path.join(ws.root, 'mine');
    await mkdir(mine);
    await writeFile(path.join(mine, 'thesis.tex'), '');
    assert.match(await newRunFolderProblem(mine, ws.data) ?? '',
      /mine holds files that are not a run's \(thesis\.tex\); give a new or empty folder/);
  });

  it('au-lens train --out . (or a parent folder) is refused at once and writes nothing there', async () => {
    const mine = path.join(ws.root, 'mine');
    const before = (await readdir(mine)).sort();
    const err: string[] = [];
    const code = await runCli(['train', '--data', ws.data, '--out', mine, '--epochs', '1', '--threads', '1',
      '--cache', ws.cache], { out: () => undefined, err: (l) => err.push(l) });
    assert.notEqual(code, 0);
    assert.match(err.join('\n'), /holds files that are not a run's \(thesis\.tex\).*Nothing was changed/);
    assert.deepEqual((await readdir(mine)).sort(), before);
  });
});
