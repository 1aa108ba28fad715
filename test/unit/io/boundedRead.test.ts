/**
 * Files are read only when they are regular files under their cap: a named pipe called x.png, x.ckpt or a codebook
 * is refused at once (the test would hang on a blocking read), and no error quotes the file's content.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { readEvalFile } from '../../../src/trainer/eval/readEvalFile';
import { FileReadError, READ_CAPS, readBoundedFile, readLines } from '../../../src/trainer/io/boundedRead';
import { loadCodebook } from '../../../src/trainer/io/codebookFile';
import { decodeImage } from '../../../src/trainer/io/image';
import { readCheckpointSummary } from '../../../src/trainer/train/checkpointHeader';
import { readRunRecord } from '../../../src/trainer/train/runLog';
import { makeTempDir } from './fixtures';

describe('io/boundedRead: regular files under a cap', function () {
  // A blocking open or read of a pipe would hang here; every refusal must come at once.
  this.timeout(10_000);
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  const fifo = (name: string): string => {
    const file = path.join(dir, name);
    execFileSync('mkfifo', [file]);
    return file;
  };

  before(async function () {
    if (process.platform === 'win32') this.skip();
    ({ dir, cleanup } = await makeTempDir('bounded-read'));
  });
  after(() => cleanup());

  it('refuses a named pipe called x.png, x.ckpt, a codebook, run.json or an eval file, without blocking', async () => {
    await assert.rejects(decodeImage(fifo('x.png')), /x\.png: is a named pipe, not a regular file/);
    await assert.rejects(loadCodebook(fifo('codebook.json')), /codebook\.json: is a named pipe, not a regular file/);
    await assert.rejects(readCheckpointSummary(fifo('x.ckpt')), /is a named pipe/);
    await mkdir(path.join(dir, 'run'));
    execFileSync('mkfifo', [path.join(dir, 'run', 'run.json')]);
    await assert.rejects(readRunRecord(path.join(dir, 'run')), /run\.json: is a named pipe/);
    await assert.rejects(readEvalFile(fifo('eval-x.json')), /eval-x\.json: is a named pipe/);
    // Through a symbolic link too.
    await symlink(path.join(dir, 'x.png'), path.join(dir, 'link.png'));
    await assert.rejects(decodeImage(path.join(dir, 'link.png')), /is a named pipe/);
    await assert.rejects(readBoundedFile('/dev/zero', 10, 'a test file'), /is a device, not a regular file/);
  });

  it('refuses a file over its cap before reading it (images: the pixel limit\'s worth of bytes)', async () => {
    const big = path.join(dir, 'big.json');
    await writeFile(big, Buffer.alloc(READ_CAPS.codebook + 1, 0x20));
    await assert.rejects(loadCodebook(big), /too large for a codebook/);
    const photo = path.join(dir, 'huge.png');
    await writeFile(photo, Buffer.alloc(2000 * 8 + 1024 * 1024 + 1));
    await assert.rejects(decodeImage(photo, { maxPixels: 2000 }), /too large for an image .*; downscale it or raise --max-pixels/);
  });

  it('says where JSON is broken without quoting the file', async () => {
    const secret = path.join(dir, 'secret.json');
    await writeFile(secret, 'root:x:0:0:root:/root:/bin/bash\n');
    await assert.rejects(loadCodebook(secret), (err: Error) => /not valid JSON/.test(err.message) && !/root/.test(err.message.replace(secret, '')));
    await writeFile(secret, '{"token": "hunter2", oops}');
    await assert.rejects(loadCodebook(secret), (err: Error) => /not valid JSON at character \d+/.test(err.message) && !err.message.includes('hunter2'));
  });

  it('streams lines of any length list, refusing a single line over the cap', async () => {
    const list = path.join(dir, 'list.csv');
    const rows = Array.from({ length: 20_000 }, (_, i) => `img${i}.png,happy`);
    await writeFile(list, `${rows.join('\n')}\n`);
    const read: string[] = [];
    for await (const line of readLines(list)) read.push(line);
    assert.deepEqual(read, rows);
    await writeFile(list, `a\n${'x'.repeat(300)}`);
    await assert.rejects((async () => {
      for await (const line of readLines(list, 100)) void line;
    })(), (err: Error) => err instanceof FileReadError && err.reason === 'too-large');
  });
});
