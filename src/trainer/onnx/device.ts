/**
 * Which execution provider runs the models: ONNX Runtime's CPU provider (inside onnxruntime-node) or its CUDA
 * provider. onnxruntime-node's npm package leaves the CUDA provider out (too large for the registry): its install
 * script downloads it on request, so a machine has it only after the user asked for it. Asking for CUDA without it
 * must say how to get it, not fall back to the CPU in silence (a "GPU" run at CPU speed misleads).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export type Device = 'cpu' | 'cuda';
export const DEVICES: readonly Device[] = ['cpu', 'cuda'];

/** The environment variable that picks the device for every session of a process (the CLI's --device sets it). */
export const DEVICE_ENV = 'AU_LENS_DEVICE';

export class DeviceError extends Error {
  override readonly name = 'DeviceError';
}

export function isDevice(value: string): value is Device {
  return (DEVICES as readonly string[]).includes(value);
}

/** The device named by AU_LENS_DEVICE; the CPU when it is unset. */
export function deviceFromEnv(env: NodeJS.ProcessEnv = process.env): Device {
  const value = env[DEVICE_ENV]?.trim().toLowerCase();
  if (value === undefined || value === '') return 'cpu';
  if (!isDevice(value)) throw new DeviceError(`${DEVICE_ENV}="${env[DEVICE_ENV]}" is not a device; use ${DEVICES.join(' or ')}`);
  return value;
}

/** Where onnxruntime-node keeps its native libraries for this platform (the CUDA provider goes there too). */
export function nativeLibraryDir(): string {
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

const CUDA_PROVIDER_LIBRARY = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';

/**
 * Throws a DeviceError that says how to install the CUDA provider when `device` is CUDA and it is not installed.
 * `libraryDir` is injectable for tests.
 */
export function checkDeviceAvailable(device: Device, libraryDir: string = nativeLibraryDir()): void {
  if (device !== 'cuda') return;
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    throw new DeviceError(`ONNX Runtime has no CUDA provider for ${process.platform}-${process.arch}; use --device cpu`);
  }
  if (existsSync(path.join(libraryDir, CUDA_PROVIDER_LIBRARY))) return;
  throw new DeviceError(`the CUDA provider of ONNX Runtime is not installed (${path.join(libraryDir, CUDA_PROVIDER_LIBRARY)} is missing). ` +
    'Install it with "npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12" in the AU Lens folder ' +
    '(downloads it; needs an NVIDIA driver with CUDA 12 and cuDNN 9), or use --device cpu');
}
