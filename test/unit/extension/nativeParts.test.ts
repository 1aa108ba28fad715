import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { missingNativeParts, nativePartsMessage, nativePartsProblem } from '../../../src/extension/nativeParts';

const root = path.resolve(__dirname, '../../..');

describe('native parts check', () => {
  it('finds nothing missing in this checkout, for this machine', () => {
    assert.deepEqual(missingNativeParts(root), []);
  });

  it('names each part whose file is missing (onnxruntime binding removed)', () => {
    const exists = (f: string): boolean => !f.endsWith('onnxruntime_binding.node') && fs.existsSync(f);
    const missing = missingNativeParts(root, { exists });
    assert.deepEqual(missing.map((m) => m.what), ["onnxruntime-node's binary"]);
    assert.match(missing[0]?.path ?? '', /onnxruntime-node[/\\]bin[/\\]napi-v\d+[/\\]\w+[/\\]\w+[/\\]onnxruntime_binding\.node$/);
  });

  it('a platform whose binaries are not installed misses onnxruntime and sharp, not the portable wasm and models', () => {
    const missing = missingNativeParts(root, { platform: 'freebsd', arch: 'riscv64' });
    assert.deepEqual(missing.map((m) => m.what), ["onnxruntime-node's binary", "sharp's binary"]);
  });

  it('an empty folder misses everything, without throwing', () => {
    const missing = missingNativeParts(path.join(root, 'no-such-extension'), { exists: () => false, readdir: () => [] });
    assert.equal(missing.length, 4);
  });

  it('the message names the platform and the VSIX to install, not a module path', () => {
    const missing = missingNativeParts(root, { platform: 'win32', arch: 'arm64', exists: () => false, readdir: () => ['napi-v6'] });
    const text = nativePartsMessage(missing, { platform: 'win32', arch: 'arm64', version: '0.1.0' });
    assert.match(text, /not installed for win32-arm64/);
    assert.match(text, /au-lens-win32-arm64-0\.1\.0\.vsix/);
    assert.match(text, /Install from VSIX/);
    assert.match(text, /npm rebuild/);
    assert.doesNotMatch(text, /Cannot find module/);
  });

  it('nativePartsProblem: nothing when all is there; else the message and the paths looked for', () => {
    assert.equal(nativePartsProblem(root, '0.1.0'), undefined);
    const problem = nativePartsProblem(root, '0.1.0', { platform: 'linux', arch: 'arm64' });
    // onnxruntime-node carries every platform's binary in a source checkout; sharp only this machine's.
    assert.match(problem?.message ?? '', /not installed for linux-arm64: sharp's binary is missing\. Install the AU Lens VSIX built for linux-arm64/);
    assert.match(problem?.lookedFor ?? '', /sharp-linux-arm64$/);
  });
});
