/**
 * WebGPU without a GPU: Debian's chromium package ships SwiftShader's Vulkan driver (a CPU implementation) and a
 * Vulkan loader of its own in /usr/lib/chromium, which Dawn, inside onnxruntime-node, accepts. A process gets them
 * through its environment, read when it starts, so the tests run the WebGPU side in a child process.
 * scripts/device/device-check-run.sh --smoke finds them the same way.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths';

/** Where Debian (chromium) and Ubuntu (chromium-browser) put them. */
const CHROMIUM_DIRS = ['/usr/lib/chromium', '/usr/lib/chromium-browser'];
const ICD = 'vk_swiftshader_icd.json';
const LOADER = 'libvulkan.so.1';

/** The environment that makes WebGPU run on SwiftShader, or why there is none on this machine. */
export function swiftShaderEnv(
  base: NodeJS.ProcessEnv = process.env,
  dirs: readonly string[] = CHROMIUM_DIRS,
): { env: NodeJS.ProcessEnv } | { missing: string } {
  if (process.platform !== 'linux') return { missing: `SwiftShader from chromium is looked for on Linux only (this is ${process.platform})` };
  const dir = dirs.find((d) => existsSync(path.join(d, ICD)));
  if (!dir) return { missing: `no SwiftShader Vulkan driver (${dirs.map((d) => path.join(d, ICD)).join(' or ')}): install chromium (scripts/vscode-host/setup-vscode-host.sh does)` };
  const loaderDir = existsSync(path.join(dir, LOADER)) ? [dir] : [];
  return {
    env: {
      ...base,
      // VK_ICD_FILENAMES for older Vulkan loaders, VK_DRIVER_FILES for newer ones: only SwiftShader, never a GPU's.
      VK_ICD_FILENAMES: path.join(dir, ICD),
      VK_DRIVER_FILES: path.join(dir, ICD),
      LD_LIBRARY_PATH: [...loaderDir, base['LD_LIBRARY_PATH'] ?? ''].filter((p) => p !== '').join(':'),
      // Dawn wants a private runtime directory; a test machine's user may have none.
      XDG_RUNTIME_DIR: mkdtempSync(path.join(os.tmpdir(), 'au-lens-xdg-')),
    },
  };
}

/** SwiftShader's environment for this test's child processes; skips the test, saying why, where it is missing. */
export function requireSwiftShader(test: Mocha.Context): NodeJS.ProcessEnv {
  const found = swiftShaderEnv();
  if ('missing' in found) {
    console.log(`      skipped: ${found.missing}`);
    test.skip();
  }
  return (found as { env: NodeJS.ProcessEnv }).env;
}

/** Runs a TypeScript file of this repository (tsx) in that environment and returns its standard output. */
export async function runTs(env: NodeJS.ProcessEnv, file: string, args: readonly string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', 'tsx/cjs', path.join(repoRoot, file), ...args], { cwd: repoRoot, env, encoding: 'utf8', maxBuffer: 1 << 24 });
  return stdout;
}
