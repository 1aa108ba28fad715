/**
 * The worker's trust rule (io/modelTrust.ts) at every method that opens a model, decided by content, and its
 * isolation: the worker is a child process, so a native crash fails the request in flight and nothing else.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { exportCheckpoint } from '../../src/trainer/export/exportModel';
import { saveCheckpoint } from '../../src/trainer/train/checkpoint';
import { WorkerClient, WorkerFailure, WorkerRequestError } from '../../src/trainer/workerClient';
import { faceApiDemoDir, repoRoot } from '../helpers/paths';
import { randomCheckpoint } from './export/fixtures';
import { makeTempDir } from './io/fixtures';
import { CLASSES, writeDataset } from './train/fixtures';

const refusedAs = (code: string) => (err: Error): boolean => {
  assert.ok(err instanceof WorkerRequestError, `expected a WorkerRequestError, got ${err.name}: ${err.message}`);
  assert.equal(err.code, code, err.message);
  return true;
};

describe('trainer worker: the trust rule and a native crash', function () {
  this.timeout(120_000);
  const script = path.join(repoRoot, 'dist', 'worker.js');
  const image = path.join(faceApiDemoDir, 'sample2.jpg');
  let trusted = false;
  let client: WorkerClient;
  let root = '';
  let cleanup: () => Promise<void> = async () => {};
  let cacheDir = '';
  /** An ONNX model renamed to look like a checkpoint, and a checkpoint renamed to look like an ONNX model. */
  let onnxAsCkpt = '';
  let ckptAsOnnx = '';
  let data = '';

  before(async () => {
    assert.ok(existsSync(script), `${script} is missing: run "npm run build" first`);
    ({ dir: root, cleanup } = await makeTempDir('worker-trust'));
    cacheDir = path.join(root, 'cache');
    const ckpt = path.join(root, 'model.ckpt');
    await saveCheckpoint(ckpt, randomCheckpoint(2));
    await exportCheckpoint(ckpt, path.join(root, 'model.onnx'));
    await mkdir(path.join(root, 'renamed'));
    onnxAsCkpt = path.join(root, 'renamed', 'x.ckpt');
    ckptAsOnnx = path.join(root, 'renamed', 'y.onnx');
    await copyFile(path.join(root, 'model.onnx'), onnxAsCkpt);
    await copyFile(ckpt, ckptAsOnnx);
    data = await writeDataset(path.join(root, 'data'), { classes: CLASSES, subjects: 2 });
    client = new WorkerClient(script, { trusted: () => trusted });
  });
  after(async () => {
    await client?.dispose();
    await cleanup();
  });

  it('untrusted, every method that opens a model refuses an ONNX model named x.ckpt, with code "untrusted"', async () => {
    trusted = false;
    await assert.rejects(client.request('explain/run', { imagePath: image, model: onnxAsCkpt, cacheDir }), refusedAs('untrusted'));
    await assert.rejects(client.request('eval/run', { model: onnxAsCkpt, data, images: 'all', cacheDir }), refusedAs('untrusted'));
    await assert.rejects(client.request('import/inspect', { model: onnxAsCkpt }), refusedAs('untrusted'));
    await assert.rejects(client.request('import/writeSidecar', { model: onnxAsCkpt, labels: [...CLASSES] }), refusedAs('untrusted'));
    assert.ok(!existsSync(path.join(root, 'renamed', 'x.au-lens.json')), 'no sidecar was written');
    // Export reads checkpoints alone: an ONNX file is not one, trusted or not.
    await assert.rejects(client.request('export/onnx', { checkpoint: onnxAsCkpt, out: path.join(root, 'out.onnx') }), refusedAs('model'));
    await assert.rejects(client.request('explain/run', { imagePath: image, model: path.join(root, 'model.onnx'), cacheDir }), refusedAs('untrusted'));
  });

  it('untrusted, a checkpoint opens whatever its name; trusted, the ONNX model opens too', async () => {
    trusted = false;
    const fromCkpt = await client.request('explain/run', { imagePath: image, model: ckptAsOnnx, cacheDir });
    assert.equal(fromCkpt.kind, 'model');
    trusted = true;
    const fromOnnx = await client.request('explain/run', { imagePath: image, model: onnxAsCkpt, cacheDir });
    assert.equal(fromOnnx.kind === 'model' && fromOnnx.report.model.kind, 'onnx');
    // Opened while trusted, it is not handed out from the cache to an untrusted request.
    trusted = false;
    await assert.rejects(client.request('explain/run', { imagePath: image, model: onnxAsCkpt, cacheDir }), refusedAs('untrusted'));
  });

  it('survives a native crash of the worker: the request in flight fails with code "crashed", the next one runs', async function () {
    if (process.platform === 'win32') this.skip();
    const first = client.pid;
    assert.ok(first !== undefined);
    const inFlight = client.request('auMaps/draw', { imagePath: image, expression: 'sad', face: 0, cacheDir });
    process.kill(first, 'SIGSEGV');
    await assert.rejects(inFlight, (err: Error) => err instanceof WorkerFailure && err.code === 'crashed' && /SIGSEGV/.test(err.message));
    const again = await client.request('auMaps/draw', { imagePath: image, expression: 'sad', face: 0, cacheDir });
    assert.equal(again.report.expressions[0]!.expression, 'sad');
    assert.notEqual(client.pid, first, 'a new worker process answered');
  });
});
