/**
 * One flipped bit in a checkpoint's header — the stored normalisation mean 0.485 → 0.585 — is refused by every
 * command that reads the model (explain, eval, export), where it used to be baked into the exported model.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { evaluateCheckpoint } from '../../../src/trainer/eval/evaluateCheckpoint';
import { openModel } from '../../../src/trainer/explain/modelFile';
import { exportCheckpoint } from '../../../src/trainer/export/exportModel';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { randomCheckpoint } from '../export/fixtures';
import { makeTempDir } from '../io/fixtures';
import { FakeDetector } from './fixtures';

describe('train/checkpoint: integrity where models are read', function () {
  this.timeout(60_000);
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let flipped = '';
  before(async () => {
    ({ dir, cleanup } = await makeTempDir('integrity'));
    const good = path.join(dir, 'good.ckpt');
    await saveCheckpoint(good, randomCheckpoint(1));
    const bytes = await readFile(good);
    const at = bytes.indexOf('"mean":[0.485');
    assert.ok(at > 0, 'the header stores the ImageNet mean');
    bytes[at + '"mean":[0.'.length]! ^= 0x01; // '4' → '5'
    flipped = path.join(dir, 'flipped.ckpt');
    await writeFile(flipped, bytes);
  });
  after(() => cleanup());

  const damaged = /flipped\.ckpt: damaged \(checksum mismatch\)/;

  it('explain refuses it', async () => {
    await assert.rejects(openModel(flipped, {}, { trusted: false }), damaged);
  });

  it('eval refuses it', async () => {
    await assert.rejects(evaluateCheckpoint({ checkpoint: flipped, trusted: false, data: dir, batch: 2, threads: 1 }, { detector: new FakeDetector() }), damaged);
  });

  it('export refuses it and writes nothing', async () => {
    const out = path.join(dir, 'out.onnx');
    await assert.rejects(exportCheckpoint(flipped, out), damaged);
    await assert.rejects(readFile(out), /ENOENT/);
  });
});
