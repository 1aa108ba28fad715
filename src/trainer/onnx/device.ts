/**
 * Which execution provider runs the models: ONNX Runtime's CPU provider (inside onnxruntime-node), its CUDA
 * provider, or its WebGPU provider. onnxruntime-node's npm package leaves the CUDA provider out (too large for the
 * registry): its install script downloads it on request, so a machine has it only after the user asked for it.
 * The WebGPU provider (Dawn) is inside the package and reaches the GPU through Vulkan on Linux, Direct3D 12 on
 * Windows and Metal on macOS, so it needs only the GPU's driver. Asking for a GPU that cannot be used must say how
 * to get it, not fall back to the CPU in silence (a "GPU" run at CPU speed misleads).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { listSupportedBackends } from 'onnxruntime-node';
import type { Device } from './deviceNames';
import { CHOOSE_DEVICE, DEVICE_ENV, deviceList, isDevice } from './deviceNames';

export class DeviceError extends Error {
  override readonly name = 'DeviceError';
}

/** The device named by AU_LENS_DEVICE; the CPU when it is unset. */
export function deviceFromEnv(env: NodeJS.ProcessEnv = process.env): Device {
  const value = env[DEVICE_ENV]?.trim().toLowerCase();
  if (value === undefined || value === '') return 'cpu';
  if (!isDevice(value)) {
    throw new DeviceError(`${DEVICE_ENV}="${env[DEVICE_ENV]}" is not a device; use ${deviceList()}`);
  }
  return value;
}

/** Where onnxruntime-node keeps its native libraries for this platform (the CUDA provider goes there too). */
export function nativeLibraryDir(): string {
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

const CUDA_PROVIDER_LIBRARY =
  process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';

/**
 * Throws a DeviceError that says how to install the CUDA provider when `device` is CUDA and it is not installed,
 * or that this build has no WebGPU provider. `libraryDir` is injectable for tests.
 */
export function checkDeviceAvailable(device: Device, libraryDir: string = nativeLibraryDir()): void {
  if (device === 'webgpu') {
    if (listSupportedBackends().some((b) => b.name === 'webgpu' && b.bundled)) return;
    throw new DeviceError(
      `this build of onnxruntime-node has no WebGPU provider for ${process.platform}-${process.arch}; run on the ` +
        `CPU: ${CHOOSE_DEVICE}`,
    );
  }
  if (device !== 'cuda') return;
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    throw new DeviceError(
      `ONNX Runtime has no CUDA provider for ${process.platform}-${process.arch}; run on the CPU or WebGPU: ` +
        `${CHOOSE_DEVICE}`,
    );
  }
  if (existsSync(path.join(libraryDir, CUDA_PROVIDER_LIBRARY))) return;
  throw new DeviceError(
    `the CUDA provider of ONNX Runtime is not installed (${path.join(libraryDir, CUDA_PROVIDER_LIBRARY)} is ` +
      `missing). ` +
      'Install it with "npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12" in the AU Lens folder ' +
      `(downloads it; needs an NVIDIA driver with CUDA 12 and cuDNN 9), or run on the CPU or WebGPU: ${CHOOSE_DEVICE}`,
  );
}

/** The part of an ONNX node the WebGPU check reads. */
export interface GraphNode {
  readonly name?: string | null;
  readonly opType?: string | null;
  readonly output?: readonly string[] | null;
}

/**
 * Refuses, before ORT does with a bare "Indices output is not supported", a graph that asks a MaxPool for its
 * indices on WebGPU: that provider's MaxPool has no indices output. Graphs built for WebGPU route max-pooling's
 * gradient without them (autodiff/ops/pool.ts); an imported model's gradient CAM through a max-pool after its CAM
 * layer is built with the CPU's form.
 */
export function checkRunsOnWebGpu(nodes: readonly GraphNode[]): void {
  const pool = nodes.find((n) => n.opType === 'MaxPool' && (n.output?.[1] ?? '') !== '');
  if (!pool) return;
  throw new DeviceError(
    `this graph needs the indices of max-pool "${pool.name ?? pool.output![0]}" for its backward (a gradient CAM ` +
      "through a max-pool of an imported model), and ONNX Runtime's WebGPU provider has no MaxPool indices. " +
      `Run it on the CPU: ${CHOOSE_DEVICE}. Every AU Lens model trains and explains on WebGPU, and every model's ` +
      'inference runs there',
  );
}

/**
 * The DeviceError for a WebGPU session that could not start, or undefined when `err` is not about the GPU. Dawn
 * finds no adapter without a usable driver: on Linux that is libvulkan.so.1 plus the GPU vendor's Vulkan driver.
 */
export function webGpuStartError(err: unknown): DeviceError | undefined {
  const message = err instanceof Error ? err.message : String(err);
  if (!/Failed to get a WebGPU adapter|No supported adapters/i.test(message)) return undefined;
  const driver =
    process.platform === 'linux'
      ? "a Vulkan driver: libvulkan.so.1 and the GPU vendor's Vulkan driver (Debian: libvulkan1 with the NVIDIA " +
        "driver, or mesa-vulkan-drivers)"
      : process.platform === 'win32'
        ? 'a Direct3D 12 GPU driver'
        : 'a Mac GPU with Metal';
  return new DeviceError(
    `WebGPU found no GPU to run on ` +
      `(${message.split('\n')[0]!.replace(/^.*?(Failed to get a WebGPU adapter)/, '$1')}). It needs ${driver}; or ` +
        `run on the CPU: ${CHOOSE_DEVICE}`,
  );
}
