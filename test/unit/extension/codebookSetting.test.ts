import assert from 'node:assert/strict';
import * as path from 'node:path';
import { resolveCodebook } from '../../../src/extension/codebookSetting';

describe('the auLens.codebook setting', () => {
  it('keeps a preset name, and a file when no folder is open', () => {
    assert.equal(resolveCodebook('paper', '/ws', path.posix), 'paper');
    assert.equal(resolveCodebook('official-code', 'C:\\ws', path.win32), 'official-code');
    assert.equal(resolveCodebook('codebooks/mine.json', undefined, path.posix), 'codebooks/mine.json');
  });

  it('POSIX: joins a relative file onto the workspace folder and keeps an absolute one', () => {
    assert.equal(resolveCodebook('codebooks/mine.json', '/home/me/ws', path.posix), '/home/me/ws/codebooks/mine.json');
    assert.equal(resolveCodebook('../shared/mine.json', '/home/me/ws', path.posix), '/home/me/shared/mine.json');
    assert.equal(resolveCodebook('/etc/au-lens/mine.json', '/home/me/ws', path.posix), '/etc/au-lens/mine.json');
  });

  it('Windows: keeps drive, UNC and rooted paths, and joins a relative one with either separator', () => {
    const ws = 'C:\\Users\\me\\ws';
    assert.equal(resolveCodebook('D:\\codebooks\\mine.json', ws, path.win32), 'D:\\codebooks\\mine.json');
    assert.equal(resolveCodebook('D:/codebooks/mine.json', ws, path.win32), 'D:/codebooks/mine.json');
    assert.equal(resolveCodebook('\\\\server\\share\\mine.json', ws, path.win32), '\\\\server\\share\\mine.json');
    assert.equal(resolveCodebook('\\codebooks\\mine.json', ws, path.win32), '\\codebooks\\mine.json');
    assert.equal(resolveCodebook('codebooks\\mine.json', ws, path.win32), 'C:\\Users\\me\\ws\\codebooks\\mine.json');
    assert.equal(resolveCodebook('codebooks/mine.json', ws, path.win32), 'C:\\Users\\me\\ws\\codebooks\\mine.json');
  });
});
