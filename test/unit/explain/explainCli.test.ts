/**
 * `au-lens explain` and `au-lens bench-explain` end to end with the real face-api detector on face-api's
 * 1920×1280 demo photo (three faces).
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { runCli } from '../../../src/trainer/cli/main';
import { untrainedCheckpoint } from '../../../src/trainer/explain/benchExplain';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { faceApiDemoDir } from '../../helpers/paths';
import { makeTempDir } from '../io/fixtures';

/** Exit code and everything printed, stdout and stderr apart. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const printed = { out: [] as string[], err: [] as string[] };
  const code = await runCli(argv, { out: (line) => printed.out.push(line), err: (line) => printed.err.push(line) });
  return { code, out: printed.out.join('\n'), err: printed.err.join('\n') };
}

describe('au-lens explain and bench-explain', function () {
  this.timeout(120000);
  const photo = path.join(faceApiDemoDir, 'sample1.jpg');
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let ckpt = '';

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('explain-cli'));
    ckpt = path.join(dir, 'model.ckpt');
    await saveCheckpoint(ckpt, untrainedCheckpoint('tiny64', 3));
  });
  after(() => cleanup());

  it('explains the most confident face of a photo and writes the report and PNGs', async () => {
    const out = path.join(dir, 'out');
    const run = await cli('explain', '--model', ckpt, '--image', photo, '--out', out, '--class', 'happy', '--cache', path.join(dir, 'cache'), '--threads', '1', '--json');
    assert.equal(run.code, 0, run.err);
    const report = JSON.parse(run.out) as { face: { index: number; found: number }; explained: { class: string }; reading: string; out: { maps: unknown[] } };
    assert.deepEqual([report.face.found, report.explained.class], [3, 'happy']);
    assert.match(report.reading, / — \d+ % of stage3 attention lies on AU6, AU12, AU25$/);
    assert.equal(report.out.maps.length, 9);
    assert.deepEqual((await readdir(out)).filter((f) => f.endsWith('.png')).length, 10);

    const human = await cli('explain', '--model', ckpt, '--image', photo, '--out', out, '--face', '2', '--cache', path.join(dir, 'cache'));
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /ATT-COS: stem \d\.\d\d {2}stage1/);
  });

  it('answers a face that does not exist with a usage error, and an unreadable model with exit 1', async () => {
    const run = await cli('explain', '--model', ckpt, '--image', photo, '--out', dir, '--face', '7', '--cache', path.join(dir, 'cache'));
    assert.equal(run.code, 2);
    assert.match(run.err, /face 7 does not exist: 3 face\(s\) found \(0–2\)/);
    const missing = await cli('explain', '--model', path.join(dir, 'none.onnx'), '--image', photo, '--out', dir);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /none\.onnx: file not found/);
  });

  it('bench-explain prints one JSON line with cold and warm latencies', async () => {
    const run = await cli('bench-explain', '--reps', '1', '--threads', '1');
    assert.equal(run.code, 0, run.err);
    const lines = run.out.split('\n');
    assert.equal(lines.length, 1);
    const result = JSON.parse(lines[0]!) as { kind: string; width: number; faces: number; cold: { totalMs: number }; warm: { medianMs: number; reps: number }; warmDetect: { medianMs: number }; targetWarmMs: number };
    assert.deepEqual([result.kind, result.width, result.faces, result.warm.reps, result.targetWarmMs], ['bench-explain', 1920, 3, 1, 500]);
    assert.ok(result.cold.totalMs > 0 && result.warm.medianMs > 0 && result.warmDetect.medianMs > 0);
  });
});
