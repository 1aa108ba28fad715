import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import * as path from 'node:path';
import {
  checkRestoredPaths, datasetFolder, insideAny, isInside, resourceFolder,
} from '../../../src/extension/panels/workspacePaths';
import { BUILTIN_MODEL } from '../../../src/trainer/protocol';

describe('paths a panel gets from outside (restored page state, eval files)', () => {
  it('inside means strictly inside, by path', () => {
    assert.equal(isInside('/w/a/x.png', '/w'), true);
    for (const [file, folder] of [['/w', '/w'], ['/w2/x.png', '/w'], ['/w/../etc/passwd', '/w'], ['/etc', '/w']]) {
      assert.equal(isInside(file!, folder!), false, `${file} in ${folder}`);
    }
    assert.equal(insideAny('a/x.png', ['/w']), false); // relative: resolved against whatever the cwd is
    assert.equal(insideAny('/w/x.png', ['/v', '/w']), true);
  });

  it('an image at a file-system root gives the page no folder to read', () => {
    assert.equal(resourceFolder('/x.png'), undefined);
    assert.equal(resourceFolder('/w/faces/x.png'), '/w/faces');
  });

  it('a dataset\'s folder: the folder itself, a CSV manifest\'s folder, never a root or a relative path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'au-lens-dataset-folder-'));
    try {
      await writeFile(path.join(dir, 'manifest.csv'), 'path,label\n');
      assert.equal(datasetFolder(dir), dir);
      assert.equal(datasetFolder(path.join(dir, 'manifest.csv')), dir);
      assert.equal(datasetFolder('/'), undefined);
      assert.equal(datasetFolder('data'), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a restored state naming files outside the workspace is refused, saying which', () => {
    const ws = ['/w'];
    checkRestoredPaths({ files: ['/w/faces/a.png'], models: ['/w/runs/r/best.ckpt', BUILTIN_MODEL] }, ws);
    checkRestoredPaths({ files: ['/w/a.png'], models: ['/home/u/models/m.onnx'] }, ws, '/home/u/models/m.onnx');
    assert.throws(() => checkRestoredPaths({ files: ['/etc/passwd'] }, ws), /names \/etc\/passwd, which is outside/);
    assert.throws(() => checkRestoredPaths({ files: ['/w/../etc/x.png'] }, ws), /outside the workspace/);
    assert.throws(() => checkRestoredPaths({ files: ['/w/a.png'], models: ['/tmp/evil.onnx'] }, ws),
      /the model \/tmp\/evil\.onnx, which is outside/);
    assert.throws(() => checkRestoredPaths({ files: ['/w/a.png'] }, []), /outside the workspace/);
  });
});
