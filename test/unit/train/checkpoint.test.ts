import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { AtomicFileHandle, AtomicFs } from '../../../src/trainer/io/atomicFile';
import { fsWithFaults } from '../../helpers/fsWithFaults';
import { CHECKPOINT_MAGIC, CheckpointError, CheckpointMismatchError, loadCheckpoint, saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { assertCompatible } from '../../../src/trainer/train/checkpointCompat';
import { makeTempDir } from '../io/fixtures';
import { smallCheckpoint as makeCheckpoint, smallTensor as tensor } from '../../helpers/smallCheckpoint';

const SPECS = [
  { name: 'stem.0.weight', shape: [8, 3, 3, 3] },
  { name: 'stem.1.running_var', shape: [8] },
  { name: 'fc.weight', shape: [7, 8] },
  { name: 'fc.bias', shape: [7] },
];

/** node:fs/promises whose file handles fail with ENOSPC once `failAfter` bytes have been written. */
function failingFs(failAfter: number): AtomicFs {
  return fsWithFaults({
    async open(file, flags): Promise<AtomicFileHandle> {
      const handle = await nodeFs.open(file, flags);
      let written = 0;
      return {
        async write(buffer, offset, length) {
          if (written + length > failAfter) {
            const partial = Math.max(0, failAfter - written);
            if (partial > 0) await handle.write(buffer, offset, partial);
            written += partial;
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          }
          written += length;
          return handle.write(buffer, offset, length);
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
  });
}

const TRAILER_BYTES = 'AU Lens sha256 '.length + 65;

/** The file split into magic line, header object and tensor bytes (the trailer dropped), to forge variants. */
async function splitFile(file: string): Promise<{ header: Record<string, unknown>; data: Buffer }> {
  const bytes = await readFile(file);
  const first = bytes.indexOf(0x0a);
  const second = bytes.indexOf(0x0a, first + 1);
  return {
    header: JSON.parse(bytes.subarray(first + 1, second).toString('utf8')) as Record<string, unknown>,
    data: bytes.subarray(second + 1, bytes.length - TRAILER_BYTES),
  };
}

/** A forged file sealed with a valid digest, so the checks behind the digest are what refuses it. */
async function joinFile(file: string, header: unknown, data: Buffer, headerText = JSON.stringify(header)): Promise<void> {
  const body = Buffer.concat([Buffer.from(`${CHECKPOINT_MAGIC}\n${headerText}\n`), data]);
  const digest = createHash('sha256').update(body).digest('hex');
  await writeFile(file, Buffer.concat([body, Buffer.from(`AU Lens sha256 ${digest}\n`)]));
}

/** The version 1 layout: no trailer, the tensors' digest in the header. */
async function legacyFile(file: string, header: Record<string, unknown>, data: Buffer): Promise<void> {
  const dataSha256 = createHash('sha256').update(data).digest('hex');
  const head = `${CHECKPOINT_MAGIC}\n${JSON.stringify({ ...header, version: 1, dataSha256 })}\n`;
  await writeFile(file, Buffer.concat([Buffer.from(head), data]));
}

async function assertLoadFails(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(loadCheckpoint(file), (error: unknown) => {
    assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${String(error)}`);
    assert.ok(error.message.startsWith(`${file}: `), `the message names the file: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('train/checkpoint', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let good = '';

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('checkpoint'));
    good = path.join(dir, 'good.ckpt');
    await saveCheckpoint(good, makeCheckpoint());
  });
  after(() => cleanup());

  it('round-trips every field and tensor bit for bit', async () => {
    const file = path.join(dir, 'sub', 'folder', 'round.ckpt');
    const original = makeCheckpoint();
    const bytes = await saveCheckpoint(file, original);
    assert.equal((await readFile(file)).length, bytes);
    const loaded = await loadCheckpoint(file);
    assert.deepEqual(loaded, original);
    assert.ok(loaded.tensors.model[0]!.data instanceof Float32Array);
    assert.ok((await readFile(file)).subarray(0, CHECKPOINT_MAGIC.length).toString() === CHECKPOINT_MAGIC);
  });

  it('fills in createdAt when it is empty', async () => {
    const file = path.join(dir, 'dated.ckpt');
    await saveCheckpoint(file, { ...makeCheckpoint(), createdAt: '' });
    const { createdAt } = await loadCheckpoint(file);
    assert.ok(Math.abs(Date.parse(createdAt) - Date.now()) < 60_000, createdAt);
  });

  it('a write that fails part-way leaves the previous checkpoint intact and no temp file', async () => {
    const { dir: folder, cleanup: remove } = await makeTempDir('checkpoint-atomic');
    try {
      const file = path.join(folder, 'last.ckpt');
      await saveCheckpoint(file, makeCheckpoint(100));
      const before = await readFile(file);
      for (const failAfter of [0, 10, 2000, before.length - 100]) {
        await assert.rejects(saveCheckpoint(file, makeCheckpoint(200), failingFs(failAfter)), /ENOSPC/);
        assert.deepEqual(await readdir(folder), ['last.ckpt'], `after failing at byte ${failAfter}`);
        assert.ok((await readFile(file)).equals(before));
      }
      assert.equal((await loadCheckpoint(file)).step, 100);
      const failingRename: AtomicFs = { ...failingFs(Infinity), rename: () => Promise.reject(new Error('EXDEV: rename failed')) };
      await assert.rejects(saveCheckpoint(file, makeCheckpoint(300), failingRename), /EXDEV/);
      assert.deepEqual(await readdir(folder), ['last.ckpt']);
      assert.equal((await loadCheckpoint(file)).step, 100);
    } finally {
      await remove();
    }
  });

  it('refuses inconsistent tensors before touching the file', async () => {
    const file = path.join(dir, 'never.ckpt');
    const bad = makeCheckpoint();
    const model = [{ name: 'fc.bias', shape: [8], data: new Float32Array(7) }];
    await assert.rejects(saveCheckpoint(file, { ...bad, tensors: { model, momentum: [] } }), /"fc.bias" has shape \[8\] \(8 values\) but 7 values/);
    const twice = [tensor('a', [2], 1), tensor('a', [2], 2)];
    await assert.rejects(saveCheckpoint(file, { ...bad, tensors: { model: twice, momentum: [] } }), /"a" appears twice/);
    await assert.rejects(readFile(file), /ENOENT/);
  });

  describe('damaged files', () => {
    const variant = (name: string): string => path.join(dir, name);

    it('missing, empty, or not a checkpoint', async () => {
      await assertLoadFails(variant('absent.ckpt'), /file not found/);
      await writeFile(variant('empty.ckpt'), '');
      await assertLoadFails(variant('empty.ckpt'), /empty file/);
      await writeFile(variant('model.onnx'), Buffer.from([0x08, 0x08, 0x12, 0x07, 0x70, 0x79]));
      await assertLoadFails(variant('model.onnx'), /not an AU Lens checkpoint/);
    });

    it('truncated in the tensors, in the header, or in the magic line', async () => {
      const bytes = await readFile(good);
      await writeFile(variant('cut.ckpt'), bytes.subarray(0, bytes.length - 10));
      await assertLoadFails(variant('cut.ckpt'), /truncated or damaged \(its checksum line is missing\)/);
      const { header, data } = await splitFile(good);
      await joinFile(variant('cut-data.ckpt'), header, data.subarray(0, data.length - 8));
      await assertLoadFails(variant('cut-data.ckpt'), new RegExp(`truncated \\(expected ${bytes.length} bytes, got ${bytes.length - 8}\\)`));
      await writeFile(variant('cut-header.ckpt'), bytes.subarray(0, CHECKPOINT_MAGIC.length + 50));
      await assertLoadFails(variant('cut-header.ckpt'), /truncated \(the header never ends/);
      await writeFile(variant('cut-magic.ckpt'), bytes.subarray(0, 5));
      await assertLoadFails(variant('cut-magic.ckpt'), /truncated/);
    });

    it('corrupt header: bad JSON, missing fields, a broken codebook', async () => {
      const { header, data } = await splitFile(good);
      const bytes = await readFile(good);
      const broken = Buffer.from(bytes);
      broken[CHECKPOINT_MAGIC.length + 1] = '['.charCodeAt(0);
      await writeFile(variant('json.ckpt'), broken);
      await assertLoadFails(variant('json.ckpt'), /damaged \(checksum mismatch\)/);
      await joinFile(variant('json-sealed.ckpt'), undefined, data, '["AU Lens secret');
      await assertLoadFails(variant('json-sealed.ckpt'), /corrupt header \(not valid JSON\)$/);
      // The message never quotes the file.
      await loadCheckpoint(variant('json-sealed.ckpt')).catch((e: Error) => assert.ok(!e.message.includes('secret')));
      await joinFile(variant('fields.ckpt'), { ...header, optimizer: { lr: 0.1 } }, data);
      await assertLoadFails(variant('fields.ckpt'), /corrupt header \("optimizer" must be/);
      await joinFile(variant('labels.ckpt'), { ...header, labels: ['happy', 'grumpy'] }, data);
      await assertLoadFails(variant('labels.ckpt'), /corrupt header \("labels"/);
      await joinFile(variant('codebook.ckpt'), { ...header, codebook: { name: 'x', actionUnits: [] } }, data);
      await assertLoadFails(variant('codebook.ckpt'), /corrupt header \(codebook: actionUnits: must list at least one AU\)/);
    });

    it('unsupported version', async () => {
      const { header, data } = await splitFile(good);
      await joinFile(variant('v3.ckpt'), { ...header, version: 3 }, data);
      await assertLoadFails(variant('v3.ckpt'), /unsupported checkpoint format version 3 \(this AU Lens reads versions 1 and 2\)/);
    });

    it('tensor size mismatch, trailing bytes, damaged tensor data', async () => {
      const { header, data } = await splitFile(good);
      const index = header.tensorIndex as { name: string; shape: number[]; bytes: number }[];
      const shrunk = index.map((e, i) => (i === 1 ? { ...e, shape: [4] } : e));
      await joinFile(variant('shape.ckpt'), { ...header, tensorIndex: shrunk }, data);
      await assertLoadFails(variant('shape.ckpt'), /tensor size mismatch: "stem.1.running_var" of shape \[4\] needs 16 bytes, the index says 32/);
      await joinFile(variant('trailing.ckpt'), header, Buffer.concat([data, Buffer.alloc(3)]));
      await assertLoadFails(variant('trailing.ckpt'), /3 unexpected bytes after the last tensor/);
      await legacyFile(variant('bitflip.ckpt'), header, data);
      const legacy = await readFile(variant('bitflip.ckpt'));
      legacy[legacy.length - data.length + 17]! ^= 0x40;
      await writeFile(variant('bitflip.ckpt'), legacy);
      await assertLoadFails(variant('bitflip.ckpt'), /corrupt tensor data \(checksum mismatch\)/);
      const sealed = await readFile(good);
      sealed[sealed.length - TRAILER_BYTES - data.length + 17]! ^= 0x40;
      await writeFile(variant('bitflip2.ckpt'), sealed);
      await assertLoadFails(variant('bitflip2.ckpt'), /damaged \(checksum mismatch\)/);
    });

    it('one flipped bit in the header (the normalisation mean 0.485 → 0.585) or in the digest is refused', async () => {
      const bytes = await readFile(good);
      const at = bytes.indexOf('0.485');
      assert.ok(at > 0);
      const oneBit = Buffer.from(bytes);
      oneBit[at + 2]! ^= 0x01; // '4' → '5': 0.485 → 0.585
      await writeFile(variant('mean1.ckpt'), oneBit);
      await assertLoadFails(variant('mean1.ckpt'), /damaged \(checksum mismatch\)/);
      const trailer = Buffer.from(bytes);
      trailer[trailer.length - 5]! ^= 0x01;
      await writeFile(variant('trailer.ckpt'), trailer);
      await assertLoadFails(variant('trailer.ckpt'), /damaged \(checksum mismatch\)|checksum line is missing/);
    });

    it('a version 1 checkpoint (no whole-file digest) still loads, with a one-line note', async () => {
      const { header, data } = await splitFile(good);
      await legacyFile(variant('v1.ckpt'), header, data);
      const loaded = await loadCheckpoint(variant('v1.ckpt'));
      assert.deepEqual(loaded.tensors, makeCheckpoint().tensors);
      assert.match(loaded.note ?? '', /^older checkpoint format \(version 1\): its tensors are checksummed, its settings are not/);
      assert.ok(!loaded.note!.includes('\n'));
      assert.equal((await loadCheckpoint(good)).note, undefined);
    });

    it('a named pipe called x.ckpt is refused at once, never opened for reading', async function () {
      if (process.platform === 'win32') this.skip();
      const fifo = variant('pipe.ckpt');
      execFileSync('mkfifo', [fifo]);
      await assertLoadFails(fifo, /is a named pipe, not a regular file/);
    });
  });

  describe('assertCompatible', () => {
    const checkpoint = makeCheckpoint();
    const mismatch = (specs: typeof SPECS, preset: string, pattern: RegExp): void => {
      assert.throws(() => assertCompatible(checkpoint, specs, preset), (error: unknown) => error instanceof CheckpointMismatchError && pattern.test(error.message));
    };

    it('accepts the matching run', () => {
      assertCompatible(checkpoint, SPECS, 'tiny64');
    });

    it('names the differing preset first', () => {
      mismatch(SPECS, 'small96', /^checkpoint is tiny64, the run is small96$/);
    });

    it('names the first missing, mis-shaped or extra tensor', () => {
      mismatch([...SPECS, { name: 'stages.0.0.conv1.weight', shape: [8, 8, 3, 3] }], 'tiny64', /no tensor "stages.0.0.conv1.weight" \(\[8, 8, 3, 3\]\), which the tiny64 model needs/);
      mismatch(SPECS.map((s) => (s.name === 'fc.weight' ? { ...s, shape: [6, 8] } : s)), 'tiny64', /tensor "fc.weight" is \[7, 8\] in the checkpoint, the tiny64 model needs \[6, 8\]/);
      mismatch(SPECS.filter((s) => s.name !== 'fc.bias'), 'tiny64', /has a tensor "fc.bias" \(\[7\]\) that the tiny64 model does not have/);
    });

    it('checks momentum buffers against the model', () => {
      const odd = { ...checkpoint, tensors: { ...checkpoint.tensors, momentum: [tensor('head.weight', [7, 8], 1)] } };
      assert.throws(() => assertCompatible(odd, SPECS, 'tiny64'), /momentum buffer for "head.weight"/);
      const misshaped = { ...checkpoint, tensors: { ...checkpoint.tensors, momentum: [tensor('fc.weight', [8, 7], 1)] } };
      assert.throws(() => assertCompatible(misshaped, SPECS, 'tiny64'), /momentum buffer "fc.weight" is \[8, 7\]/);
    });
  });
});
