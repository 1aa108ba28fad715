// The platforms a VSIX can be built for, and which native files each one carries. Shared by
// scripts/vsix/package-vsix.mjs (which prunes the others) and scripts/vsix/check-vsix.mjs (which checks the result).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const extDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * vsce target → Node's platform and arch. Only targets with both an onnxruntime-node binary (bin/napi-v6/<os>/<cpu>)
 * and a sharp package (@img/sharp-<os>-<cpu>) are listed: onnxruntime-node 1.30 ships no darwin-x64 (Intel Mac),
 * musl (alpine) or armhf binaries, so VS Code on those platforms finds no AU Lens VSIX to install.
 */
export const TARGETS = {
  'linux-x64': { os: 'linux', cpu: 'x64' },
  'linux-arm64': { os: 'linux', cpu: 'arm64' },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64' },
  'win32-x64': { os: 'win32', cpu: 'x64' },
  'win32-arm64': { os: 'win32', cpu: 'arm64' },
};

/** The target of the machine this runs on, e.g. linux-x64. */
export const hostTarget = () => `${process.platform}-${process.arch}`;

export function targetOf(name) {
  const t = TARGETS[name];
  if (!t) throw new Error(`unsupported target "${name}"; supported: ${Object.keys(TARGETS).join(', ')}`);
  return t;
}

/** sharp's two packages for a platform: the Node binding, and libvips (inside the binding's package on Windows). */
export const sharpPackages = ({ os, cpu }) => (os === 'win32' ? [`sharp-${os}-${cpu}`] : [`sharp-${os}-${cpu}`, `sharp-libvips-${os}-${cpu}`]);

/** onnxruntime-node's binary folders (relative to its package, like bin/napi-v6/linux/x64). */
export function onnxruntimeBinDirs(root = extDir) {
  const bin = path.join(root, 'node_modules/onnxruntime-node/bin');
  const dirs = [];
  for (const napi of fs.existsSync(bin) ? fs.readdirSync(bin) : []) {
    for (const os of fs.readdirSync(path.join(bin, napi))) {
      for (const cpu of fs.readdirSync(path.join(bin, napi, os))) dirs.push({ dir: `bin/${napi}/${os}/${cpu}`, os, cpu });
    }
  }
  return dirs;
}

/** The installed @img/sharp-* packages (not @img/colour, which is plain JavaScript). */
export function installedSharpPackages(root = extDir) {
  const img = path.join(root, 'node_modules/@img');
  return fs.existsSync(img) ? fs.readdirSync(img).filter((n) => n.startsWith('sharp-')) : [];
}
