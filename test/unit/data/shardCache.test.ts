import assert from 'node:assert/strict';
import { mkdir, open, readdir, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { CachedSet, CacheOptions } from '../../../src/trainer/data/cache/buildCache';
import { prepareCached } from '../../../src/trainer/data/cache/buildCache';
import type { CacheSample } from '../../../src/trainer/data/cache/cacheKey';
import { recordBytes, shardFileName } from '../../../src/trainer/data/cache/shardFormat';
import { DamagedCacheError } from '../../../src/trainer/data/cache/shardStore';
import type { Batch } from '../../../src/trainer/data/loader';
import { BatchLoader } from '../../../src/trainer/data/loader';
import { prepareSamples } from '../../../src/trainer/data/prepare';
import { codebookPreset } from '../../../src/trainer/science/codebook';
import type { Expression } from '../../../src/trainer/science/labels';
import { makeTempDir } from '../io/fixtures';
import { FakeDetector, syntheticPng } from '../train/fixtures';

const LABELS: Expression[] = ['happy', 'sad', 'surprise'];
const INPUT = 16;
const SIDE = 18; // baseSideFor(16)

async function collect(iterable: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of iterable) out.push(b);
  return out;
}

describe('data/cache prepareCached (the prepared-sample shard cache)', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  const samples: CacheSample[] = [];
  const open_: CachedSet[] = [];

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('au-lens-shards-'));
    for (let i = 0; i < 30; i++) {
      const label = LABELS[i % 3]!;
      const file = path.join(dir, 'data', label, `S${String(i).padStart(3, '0')}_001.png`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, await syntheticPng(label, i + 1));
      samples.push({ relPath: `${label}/${path.basename(file)}`, source: { kind: 'file', path: file }, label });
    }
  });
  afterEach(() => {
    for (const set of open_.splice(0)) set.store.close();
  });
  after(() => cleanup());

  const options = (cache: string, overrides: Partial<CacheOptions> = {}): CacheOptions => ({
    labels: LABELS, inputSize: INPUT, codebook: codebookPreset('paper'), detector: new FakeDetector(),
    cacheDir: path.join(dir, cache), workers: 0, shardBytes: 8 * recordBytes(SIDE), ...overrides,
  });
  const prepare = async (list: readonly CacheSample[], o: CacheOptions): Promise<CachedSet> => {
    const set = await prepareCached(list, o);
    open_.push(set);
    return set;
  };

  it('round trip: records read back are the prepared samples, AU maps quantised to 1/255', async () => {
    const set = await prepare(samples, options('roundtrip'));
    assert.equal(set.report.decoded, 30);
    assert.equal(set.store.length, 30);
    assert.deepEqual((await readdir(set.report.cacheDir)).filter((f) => f.endsWith('.bin')).length, 4);
    const memory = await prepareSamples(samples.map((s) => ({ path: (s.source as { path: string }).path, label: s.label })),
      { labels: LABELS, inputSize: INPUT, codebook: codebookPreset('paper'), detector: new FakeDetector(),
        cacheDir: path.join(dir, 'roundtrip') });
    for (let i = 0; i < 30; i++) {
      const expected = memory.samples[i]!;
      const got = set.store.read(i);
      assert.deepEqual(got.rgb, expected.rgb);
      assert.equal(set.store.label(i), expected.label);
      assert.equal(set.store.hasAu(i), expected.au !== undefined);
      assert.equal(set.store.name(i), expected.path);
      if (expected.au) {
        const quantised = Float32Array.from(expected.au, (v) => Math.round(v * 255) / 255);
        assert.deepEqual(got.au, quantised);
      }
    }
  });

  it('face-api\'s crop, made at the input size, reads back as prepared (records of that side, not the base side)', async () => {
    const set = await prepare(samples.slice(0, 6), options('faceapi-crop', { crop: 'faceapi' }));
    const memory = await prepareSamples(samples.slice(0, 6).map((s) => ({ path: (s.source as { path: string }).path, label: s.label })),
      { labels: LABELS, inputSize: INPUT, codebook: codebookPreset('paper'), detector: new FakeDetector(), crop: 'faceapi',
        cacheDir: path.join(dir, 'faceapi-crop') });
    for (let i = 0; i < 6; i++) {
      const got = set.store.read(i);
      assert.equal(got.side, INPUT);
      assert.deepEqual(got.rgb, memory.samples[i]!.rgb);
    }
  });

  it('reusing a cache decodes nothing; a changed input (codebook, side, crop, classes, detector, a file) picks another cache', async () => {
    const list = samples.slice(0, 12);
    const first = await prepare(list, options('reuse'));
    // Without the landmark cache and with a detector that must not be called, the reused cache is read as is.
    const landmarkEntries = (await readdir(path.join(dir, 'reuse'))).filter((f) => f !== 'prepared');
    await Promise.all(landmarkEntries.map((f) => rm(path.join(dir, 'reuse', f), { recursive: true })));
    const refuses = Object.assign(new FakeDetector(), {
      detect: (): never => assert.fail('a reused cache ran the landmark detector'),
    });
    const again = await prepare(list, options('reuse', { detector: refuses }));
    assert.equal(again.report.decoded, 0);
    assert.equal(again.report.cacheDir, first.report.cacheDir);
    const changes: [string, Partial<CacheOptions>][] = [
      ['codebook', { codebook: codebookPreset('official-code') }],
      ['preset side', { inputSize: 24 }],
      ['crop mode', { crop: 'box' }],
      ['label order', { labels: ['sad', 'happy', 'surprise'] }],
      ['detector', { detector: Object.assign(new FakeDetector(), { version: 'fake-train-2' }) }],
    ];
    for (const [what, change] of changes) {
      const other = await prepare(list, options('reuse', change));
      assert.notEqual(other.report.cacheDir, first.report.cacheDir, what);
      assert.equal(other.report.decoded, 12, what);
    }
    const touched = (list[3]!.source as { path: string }).path;
    await utimes(touched, new Date(), new Date(Date.now() + 5000));
    assert.equal((await prepare(list, options('reuse'))).report.decoded, 12, 'a file changed since');
  });

  it('deleting the cache loses nothing: the next run prepares the same records again', async () => {
    const first = await prepare(samples, options('deleted'));
    // read() may hand back the store's own buffers: keep copies.
    const records = Array.from({ length: first.store.length }, (_, i) => {
      const r = first.store.read(i);
      return { rgb: r.rgb.slice(), au: r.au?.slice(), name: first.store.name(i) };
    });
    first.store.close();
    await rm(path.join(dir, 'deleted'), { recursive: true });
    const again = await prepare(samples, options('deleted'));
    assert.equal(again.report.decoded, samples.length);
    assert.equal(again.store.length, records.length);
    for (const [i, r] of records.entries()) {
      const got = again.store.read(i);
      assert.deepEqual(got.rgb, r.rgb, `record ${i}`);
      assert.deepEqual(got.au, r.au, `record ${i}`);
      assert.equal(again.store.name(i), r.name);
    }
  });

  it('a cut or damaged shard is found and rebuilt alone; a damaged record read later names its file', async () => {
    const list = samples.slice(12, 30);
    const o = options('damage');
    const first = await prepare(list, o);
    const shard1 = path.join(first.report.cacheDir, shardFileName(1));
    await truncate(shard1, (await stat(shard1)).size - 5);
    const rebuilt = await prepare(list, o);
    assert.deepEqual(rebuilt.report.rebuilt.map((r) => path.basename(r.file)), [shardFileName(1)]);
    assert.equal(rebuilt.report.decoded, 8);
    rebuilt.store.close();

    // Flip a pixel of record 2 in shard 0: the frame is whole, the record's checksum is not.
    const shard0 = path.join(first.report.cacheDir, shardFileName(0));
    const handle = await open(shard0, 'r+');
    await handle.write(Buffer.from([7]), 0, 1, 64 + 2 * recordBytes(SIDE) + 100);
    await handle.close();
    const set = await prepare(list, o);
    assert.throws(() => set.store.read(2), (e: Error) => e instanceof DamagedCacheError && e.message.includes(shardFileName(0)));
    await assert.rejects(stat(shard0), /ENOENT/);
    assert.equal((await prepare(list, o)).report.decoded, 8, 'the removed shard is prepared again');
  });

  it('an interrupted preparation keeps its finished shards, and the next run prepares only the rest', async () => {
    const o = options('resume');
    const controller = new AbortController();
    let calls = 0;
    const killer = new FakeDetector();
    const detect = killer.detect.bind(killer);
    killer.detect = (image) => {
      if (++calls === 13) controller.abort(new Error('killed'));
      return detect(image);
    };
    await assert.rejects(prepareCached(samples, { ...o, detector: killer, signal: controller.signal }), /killed/);
    const cacheDir = (await readdir(path.join(dir, 'resume', 'prepared')))[0]!;
    const left = await readdir(path.join(dir, 'resume', 'prepared', cacheDir));
    assert.deepEqual(left.filter((f) => f.includes('.tmp')), [], 'the unfinished shard is not left behind');
    const resumed = await prepare(samples, o);
    assert.equal(resumed.report.decoded, 30 - 8);
  });

  it('refuses a sample whose class is not among the labels, naming it, before writing any cache', async () => {
    const file = path.join(dir, 'data', 'happy', 'S000_001.png');
    const list = [...samples.slice(0, 3), { relPath: 'fear/S000_001.png', source: { kind: 'file', path: file } as const, label: 'fear' as const }];
    await assert.rejects(prepare(list, options('unknown-class')), (error: Error) =>
      error.message === `${file}: class fear is not among the run's labels (happy, sad, surprise)`);
    await assert.rejects(stat(path.join(dir, 'unknown-class')), { code: 'ENOENT' });
  });

  it('an unreadable image in the middle is listed and left out, with and without workers', async () => {
    const broken = path.join(dir, 'data', 'sad', 'S999_broken.png');
    await writeFile(broken, 'not a png');
    const list = [...samples.slice(0, 5), { relPath: 'sad/S999_broken.png', source: { kind: 'file', path: broken } as const, label: 'sad' as const },
      ...samples.slice(5, 10)];
    for (const workers of [0, 2]) {
      const set = await prepare(list, options(`bad-${workers}`, { workers }));
      assert.equal(set.store.length, 10);
      assert.deepEqual(set.report.corrupt.map((c) => c.path), [broken]);
      assert.ok(!Array.from({ length: 10 }, (_, i) => set.store.name(i)).includes(broken));
    }
  });

  it('prepared by two worker threads, the cache holds what this thread prepares', async function () {
    this.timeout(120_000);
    const list = samples.slice(0, 16);
    const inThread = await prepare(list, options('threads-0'));
    const pooled = await prepare(list, options('threads-2', { workers: 2 }));
    for (let i = 0; i < 16; i++) assert.deepEqual(pooled.store.read(i), inThread.store.read(i));
  });

  it('batches are identical with 0, 1 or 2 loader workers and any prefetch depth', async function () {
    this.timeout(120_000);
    const set = await prepare(samples, options('batches'));
    const epochs = async (workers: number, prefetch?: number): Promise<Batch[]> => {
      const loader = new BatchLoader(set.store, {
        batchSize: 4, inputSize: INPUT, mode: 'train', seed: 5, workers, ...(prefetch !== undefined && { prefetch }),
      });
      try {
        return [...(await collect(loader.epoch(0))), ...(await collect(loader.epoch(1, { startBatch: 2 })))];
      } finally {
        await loader.close();
      }
    };
    const reference = await epochs(0);
    assert.equal(reference.length, 7 + 5);
    assert.deepEqual(await epochs(1), reference);
    assert.deepEqual(await epochs(2, 5), reference);
    const evalLoader = new BatchLoader(set.store, { batchSize: 8, inputSize: INPUT, mode: 'eval', workers: 2 });
    const evalBatches = await collect(evalLoader.epoch(0));
    await evalLoader.close();
    const inThread = await collect(new BatchLoader(set.store, { batchSize: 8, inputSize: INPUT, mode: 'eval' }).epoch(0));
    assert.deepEqual(evalBatches, inThread);
  });

  it('removes a temporary shard left by a process that is gone', async () => {
    const o = options('stale');
    const first = await prepare(samples.slice(0, 3), o);
    const stale = path.join(first.report.cacheDir, `${shardFileName(0)}.999999.0123abcd.tmp`);
    await writeFile(stale, 'half');
    await prepare(samples.slice(0, 3), o);
    await assert.rejects(stat(stale), /ENOENT/);
    await rm(first.report.cacheDir, { recursive: true });
    assert.equal((await prepare(samples.slice(0, 3), o)).report.decoded, 3, 'a deleted cache is rebuilt');
  });
});
