import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs/promises';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { AtomicFs } from '../../../src/trainer/io/atomicFile';
import { writeFileAtomic } from '../../../src/trainer/io/atomicFile';
import { fsWithFaults } from '../../helpers/fsWithFaults';
import { makeTempDir } from './fixtures';

/** node:fs/promises that records which paths were fsynced. */
function recordingFs(synced: string[]): AtomicFs {
  return fsWithFaults({
    async open(file, flags) {
      const handle = await nodeFs.open(file, flags);
      return {
        write: (buffer, offset, length) => handle.write(buffer, offset, length),
        sync: async () => {
          synced.push(file);
          await handle.sync();
        },
        close: () => handle.close(),
      };
    },
  });
}

describe('io/atomicFile', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('atomic')));
  afterEach(() => cleanup());

  it('fsyncs the file before the rename and the folder after it, so run.json survives a power cut', async () => {
    const synced: string[] = [];
    const file = path.join(dir, 'run.json');
    assert.equal(await writeFileAtomic(file, '{"status":"completed"}\n', recordingFs(synced)), 23);
    assert.equal(await readFile(file, 'utf8'), '{"status":"completed"}\n');
    assert.equal(synced.length, 2);
    assert.match(path.basename(synced[0]!), /^\.run\.json\.\d+\.[0-9a-f]+\.tmp$/);
    assert.equal(synced[1], dir);
  });

  it('removes the temp files a killed save left behind (dead writer), keeps those of live writers and others', async () => {
    const file = path.join(dir, 'last.ckpt');
    // pid 2^22 + 1 is above Linux's default pid_max, so no process has it.
    const dead = `.last.ckpt.${2 ** 22 + 1}.0badc0de.tmp`;
    const live = `.last.ckpt.${process.ppid}.00c0ffee.tmp`;
    const other = `.best.ckpt.${2 ** 22 + 1}.0badc0de.tmp`;
    for (const name of [dead, live, other]) await writeFile(path.join(dir, name), 'partial');
    await writeFileAtomic(file, 'new');
    assert.deepEqual((await readdir(dir)).sort(), [live, other, 'last.ckpt'].sort());
  });
});
