/**
 * The suite's own footing, checked on every machine: where chromium's SwiftShader is missing, the WebGPU tests are
 * skipped with the reason (requireSwiftShader), not failed; where it is there, they get only its Vulkan driver.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { swiftShaderEnv } from '../helpers/swiftShader';

describe('SwiftShader for the WebGPU tests', () => {
  it('says what is missing and how to install it where no chromium folder holds the driver', function () {
    if (process.platform !== 'linux') this.skip();
    const found = swiftShaderEnv({}, [path.join(os.tmpdir(), 'au-lens-no-chromium')]);
    assert.ok('missing' in found);
    assert.match(found.missing, /no SwiftShader Vulkan driver .*vk_swiftshader_icd\.json.*install chromium/);
  });

  it('selects only SwiftShader\'s driver, its own loader, and a private runtime folder where it is there', function () {
    if (process.platform !== 'linux') this.skip();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'au-lens-chromium-'));
    writeFileSync(path.join(dir, 'vk_swiftshader_icd.json'), '{}');
    writeFileSync(path.join(dir, 'libvulkan.so.1'), '');
    const found = swiftShaderEnv({ LD_LIBRARY_PATH: '/opt/lib', VK_ICD_FILENAMES: '/gpu/icd.json' }, [dir]);
    assert.ok('env' in found);
    assert.equal(found.env['VK_ICD_FILENAMES'], path.join(dir, 'vk_swiftshader_icd.json'));
    assert.equal(found.env['VK_DRIVER_FILES'], path.join(dir, 'vk_swiftshader_icd.json'));
    assert.equal(found.env['LD_LIBRARY_PATH'], `${dir}:/opt/lib`);
    assert.ok(found.env['XDG_RUNTIME_DIR']?.startsWith(os.tmpdir()));
  });
});
