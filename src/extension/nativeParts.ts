/**
 * Whether the files AU Lens loads by path at run time are installed for this platform: onnxruntime-node's binding,
 * sharp's binding, the tfjs wasm backend and face-api's models. A VSIX carries one platform's binaries only, so a
 * VSIX for another platform (or a source checkout whose npm install skipped them) would otherwise fail on first
 * use with a raw "Cannot find module". Cheap: a few existsSync calls, nothing is required or loaded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface NativeCheckOptions {
  readonly platform?: NodeJS.Platform;
  readonly arch?: string;
  /** Injected by tests. */
  readonly exists?: (file: string) => boolean;
  readonly readdir?: (dir: string) => readonly string[];
}

export interface MissingPart {
  /** What is missing, for the message: "onnxruntime-node's binary". */
  readonly what: string;
  /** The file or folder looked for. */
  readonly path: string;
}

function listDir(dir: string): readonly string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** The run-time files missing under `extensionPath` for the platform (this machine's by default). */
export function missingNativeParts(extensionPath: string, options: NativeCheckOptions = {}): MissingPart[] {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const exists = options.exists ?? fs.existsSync;
  const readdir = options.readdir ?? listDir;
  const modules = path.join(extensionPath, 'node_modules');
  const missing: MissingPart[] = [];

  // onnxruntime-node loads bin/napi-v<N>/<platform>/<arch>/onnxruntime_binding.node; N changes between releases.
  const ortBin = path.join(modules, 'onnxruntime-node', 'bin');
  const ortBindings = readdir(ortBin).filter((d) => d.startsWith('napi-v')).map((d) =>
    path.join(ortBin, d, platform, arch, 'onnxruntime_binding.node'));
  if (!ortBindings.some(exists)) missing.push({ what: "onnxruntime-node's binary",
    path: ortBindings[0] ?? path.join(ortBin, 'napi-v6', platform, arch) });

  // sharp loads @img/sharp-<platform>-<arch> (linuxmusl-<arch> on musl Linux).
  const sharpDirs = [`sharp-${platform}-${arch}`,
    ...(platform === 'linux' ? [`sharp-linuxmusl-${arch}`] : [])].map((p) =>
      path.join(modules, '@img', p, 'package.json'));
  if (!sharpDirs.some(exists)) missing.push({ what: "sharp's binary", path: path.dirname(sharpDirs[0] as string) });

  for (const [what, file] of [
    ["tfjs's wasm backend", path.join(modules, '@tensorflow', 'tfjs-backend-wasm', 'dist', 'tfjs-backend-wasm.wasm')],
    ["face-api's face detector model",
      path.join(modules, '@vladmandic', 'face-api', 'model', 'ssd_mobilenetv1_model-weights_manifest.json')],
  ] as const) {
    if (!exists(file)) missing.push({ what, path: file });
  }
  return missing;
}

/** The error a user sees: which platform, what is missing, and what to install. */
export function nativePartsMessage(missing: readonly MissingPart[],
  options: { platform?: string; arch?: string; version: string }): string {
  const target = `${options.platform ?? process.platform}-${options.arch ?? process.arch}`;
  const what = missing.map((m) => m.what).join(', ');
  return `AU Lens is not installed for ${target}: ${what} ${missing.length > 1 ? 'are' : 'is'} missing. ` +
    `Install the AU Lens VSIX built for ${target} (au-lens-${target}-${options.version}.vsix) with ` +
    '"Extensions: Install from VSIX…", ' +
    `or in a source checkout run "npm ci" (or "npm rebuild") on this machine.`;
}

/** The user-facing message and the paths looked for, when something is missing; undefined when all is there. */
export function nativePartsProblem(extensionPath: string, version: string,
  options: NativeCheckOptions = {}): { message: string; lookedFor: string } | undefined {
  const missing = missingNativeParts(extensionPath, options);
  if (!missing.length) return undefined;
  return { message: nativePartsMessage(missing, { platform: options.platform, arch: options.arch, version }),
    lookedFor: missing.map((m) => m.path).join(', ') };
}
