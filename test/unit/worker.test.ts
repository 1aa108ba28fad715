import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { BUILTIN_MODEL } from '../../src/trainer/protocol';
import { WorkerClient, WorkerFailure, WorkerRequestError } from '../../src/trainer/workerClient';
import { faceApiDemoDir, repoRoot } from '../helpers/paths';

describe('trainer worker', () => {
  const script = path.join(repoRoot, 'dist', 'worker.js');
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'au-lens-worker-'));
  let client: WorkerClient;

  before(function () {
    assert.ok(existsSync(script), `${script} is missing: run "npm run build" first`);
    client = new WorkerClient(script, { trusted: () => true });
  });
  after(async () => {
    await client?.dispose();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('draws AU maps off the main thread through the typed protocol', async () => {
    const { png, report } = await client.request('auMaps/draw', { imagePath: path.join(faceApiDemoDir, 'sample2.jpg'), expression: 'sad', face: 0, cacheDir });
    assert.equal(report.expressions[0]!.expression, 'sad');
    assert.deepEqual(report.expressions[0]!.aus, [1, 4, 6, 15, 17]);
    const meta = await sharp(Buffer.from(png)).metadata();
    assert.equal(meta.format, 'png');
  });

  it('explains a photo for the panel: maps arrive as Float32Array, errors say what kind they are', async () => {
    const imagePath = path.join(faceApiDemoDir, 'sample2.jpg');
    const r = await client.request('explain/run', { imagePath, cacheDir });
    assert.equal(r.kind, 'landmarks');
    assert.ok(r.maps[0]!.data instanceof Float32Array && r.maps[0]!.data.length === 224 * 224);
    await assert.rejects(client.request('explain/run', { imagePath, model: path.join(repoRoot, 'package.json'), cacheDir }),
      (err: Error) => err instanceof WorkerRequestError && err.code === 'model' && /neither an AU Lens checkpoint/.test(err.message));
  });

  it('tells a bad request from a failure', async () => {
    await assert.rejects(
      client.request('auMaps/draw', { imagePath: path.join(faceApiDemoDir, 'sample2.jpg'), expression: 'smug', cacheDir }),
      (err: Error) => err instanceof WorkerRequestError && /unknown expression "smug"/.test(err.message),
    );
    await assert.rejects(
      client.request('auMaps/draw', { imagePath: path.join(faceApiDemoDir, 'missing.jpg'), cacheDir }),
      (err: Error) => !(err instanceof WorkerRequestError) && /missing\.jpg/.test(err.message),
    );
  });

  it('tells a cause the caller knows (this platform\'s binaries missing) instead of the failure\'s own message', async () => {
    const cause = 'AU Lens is not installed for linux-x64: sharp\'s binary is missing.';
    const told = new WorkerClient(script, { failureCause: () => cause });
    try {
      await assert.rejects(told.request('auMaps/draw', { imagePath: path.join(faceApiDemoDir, 'missing.jpg'), cacheDir }),
        (err: Error) => err instanceof WorkerFailure && err.message === cause);
      // A mistake in the request is still the request's own.
      await assert.rejects(told.request('auMaps/draw', { imagePath: path.join(faceApiDemoDir, 'sample2.jpg'), expression: 'smug', cacheDir }),
        (err: Error) => err instanceof WorkerRequestError && /unknown expression "smug"/.test(err.message));
    } finally {
      await told.dispose();
    }
  });

  it('retired when idle (a new device), it finishes the request in flight, then stops; the environment reaches it', async () => {
    const retired = new WorkerClient(script, { env: { ...process.env, AU_LENS_DEVICE: 'tpu' } });
    const inFlight = retired.request('auMaps/draw', { imagePath: path.join(faceApiDemoDir, 'sample2.jpg'), expression: 'sad', face: 0, cacheDir });
    retired.disposeWhenIdle();
    assert.equal((await inFlight).report.expressions[0]!.expression, 'sad');
    // The worker stops once the request has settled; its exit fails every later request, also one sent meanwhile.
    await assert.rejects(retired.request('auMaps/draw', { imagePath: path.join(faceApiDemoDir, 'sample2.jpg'), cacheDir }), /worker stopped/);
    // A session reads the device from the worker's own environment: an unknown one is refused by name.
    const other = new WorkerClient(script, { env: { ...process.env, AU_LENS_DEVICE: 'tpu' } });
    try {
      await assert.rejects(other.request('explain/run', { imagePath: path.join(faceApiDemoDir, 'sample2.jpg'), model: BUILTIN_MODEL, cacheDir }),
        /AU_LENS_DEVICE="tpu" is not a device; use cpu, cuda or webgpu/);
    } finally {
      await other.dispose();
    }
  });
});
