import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { untrainedCheckpoint } from '../../src/trainer/explain/benchExplain';
import { saveCheckpoint } from '../../src/trainer/train/checkpoint';
import { WorkerClient, WorkerRequestError } from '../../src/trainer/workerClient';
import { makeTempDir } from './io/fixtures';
import { ck48Dir, repoRoot } from '../helpers/paths';

/** A few CK+48 faces per class, copied into a temp folder (the data set itself is never committed). */
async function copyCk48(root: string, classes: readonly string[], perClass: number): Promise<string> {
  const data = path.join(root, 'ck48');
  for (const cls of classes) {
    await mkdir(path.join(data, cls), { recursive: true });
    const files = (await readdir(path.join(ck48Dir, cls))).filter((f) => f.endsWith('.png')).sort().slice(0, perClass);
    for (const f of files) await copyFile(path.join(ck48Dir, cls, f), path.join(data, cls, f));
  }
  return data;
}

describe("trainer worker: 'eval/run'", function () {
  this.timeout(120_000);
  let client: WorkerClient;
  let root = '';
  let cleanup: () => Promise<void> = async () => {};
  let data = '';
  let model = '';

  before(async function () {
    const script = path.join(repoRoot, 'dist', 'worker.js');
    assert.ok(await stat(script).catch(() => null), `${script} is missing: run "npm run build" first`);
    if (!(await stat(ck48Dir).catch(() => null))) this.skip();
    ({ dir: root, cleanup } = await makeTempDir('eval-worker'));
    data = await copyCk48(root, ['happy', 'surprise'], 2);
    model = path.join(root, 'runs', 'demo', 'best.ckpt');
    await saveCheckpoint(model, untrainedCheckpoint('tiny64', 2, ['happy', 'sad', 'surprise']));
    client = new WorkerClient(script);
  });
  after(async () => {
    await client?.dispose();
    await cleanup();
  });

  it('evaluates off the main thread with progress, records per image and the eval file in the run folder', async () => {
    const seen: string[] = [];
    const result = await client.request('eval/run', { model, data, images: 'all', cacheDir: path.join(root, 'cache') }, { onProgress: (p) => seen.push(`${p.stage} ${p.done}/${p.total}`) });
    assert.equal(result.images.length, 4);
    assert.deepEqual(result.report.labels, ['happy', 'surprise']);
    assert.ok(result.warnings.some((w) => /no sad images/.test(w)));
    assert.ok(seen.includes('prepare 4/4') && seen.includes('evaluate 4/4'), seen.join(', '));
    assert.equal(result.file, path.join(root, 'runs', 'demo', 'eval-ck48.json'));
    assert.ok(await stat(result.file));
    const layer = result.report.camLayer;
    assert.ok(result.images.every((r) => typeof r.attCos[layer] === 'number'), 'CK+48 faces of happy and surprise have AU maps');
  });

  it('cancels on the signal and reports a missing checkpoint as a model problem', async () => {
    const controller = new AbortController();
    const pending = client.request('eval/run', { model, data, images: 'all', cacheDir: path.join(root, 'cache2') }, { signal: controller.signal, onProgress: () => controller.abort() });
    await assert.rejects(pending);
    await assert.rejects(client.request('eval/run', { model: path.join(root, 'none.ckpt'), data, images: 'all' }),
      (err: Error) => err instanceof WorkerRequestError && err.code === 'model' && /none\.ckpt/.test(err.message));
  });
});
