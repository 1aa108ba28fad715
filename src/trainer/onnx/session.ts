/**
 * ONNX Runtime sessions. The CPU provider ships inside onnxruntime-node; CUDA is used only when the user's
 * installation carries it and asks for it; WebGPU (also inside onnxruntime-node) when asked for.
 */
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { Device } from './deviceNames';
import { checkDeviceAvailable, checkRunsOnWebGpu, DeviceError, deviceFromEnv, webGpuStartError } from './device';
import type { DType } from './graph';
import { usesBlockedOps, withoutBlockedOps } from './nchwc';

export interface EngineOptions {
  /** Intra-op threads (default: 1, which leaves a core for the UI and data loading). */
  readonly threads?: number;
  /** Default: AU_LENS_DEVICE, else the CPU (device.ts). */
  readonly provider?: Device;
}

export type Feeds = Record<string, ort.Tensor>;

/** What a session does with its tensors beyond the engine's defaults. */
export interface SessionIO {
  /**
   * Outputs returned as GPU-resident tensors ('gpu-buffer', deviceTensors.ts) where the device keeps tensors
   * between runs (`residentTensors`); elsewhere, and for every other output, on the host.
   */
  readonly outputsOnDevice?: readonly string[];
}

/**
 * Whether tensors can stay on this device between runs: WebGPU's, through onnxruntime-node's IO binding. The CUDA
 * provider's buffers have no such binding in onnxruntime-node 1.30, so CUDA runs copy in and out every run.
 */
export function residentTensors(device: Device): boolean {
  return device === 'webgpu';
}

/** The device a session with these options runs on: theirs, else AU_LENS_DEVICE's, else the CPU. */
export function engineDevice(options: EngineOptions): Device {
  return options.provider ?? deviceFromEnv();
}

/**
 * The layout the WebGPU provider turns convolutions into, from AU_LENS_WEBGPU_LAYOUT ("NCHW" or "NHWC"); unset, ORT's
 * own, NHWC. An experiment for GPU runs: NHWC wraps a training step's convolutions in Transposes (on WebGPU, 310 of
 * small96's 2,208 nodes and 836 of resnet50's 5,560 are Transposes; with NCHW 83 of 1,981 and 376 of 5,100), to be
 * weighed against NHWC's faster convolution kernels on a GPU (scripts/device/device-check-run.sh benches both).
 */
export const WEBGPU_LAYOUT_ENV = 'AU_LENS_WEBGPU_LAYOUT';

function executionProviders(provider: Device): ort.InferenceSession.SessionOptions['executionProviders'] {
  if (provider === 'cpu') return ['cpu'];
  const layout = process.env[WEBGPU_LAYOUT_ENV]?.trim().toUpperCase() ?? '';
  if (provider === 'webgpu' && layout !== '') {
    if (layout !== 'NCHW' && layout !== 'NHWC') {
      throw new DeviceError(
        `${WEBGPU_LAYOUT_ENV}="${process.env[WEBGPU_LAYOUT_ENV]}" is not a layout; use NCHW or NHWC, or unset it`,
      );
    }
    return [{ name: 'webgpu', preferredLayout: layout }, 'cpu'];
  }
  // Ops a GPU provider lacks run on the CPU provider, which ORT places beside it.
  return [provider, 'cpu'];
}

/**
 * A session for a model. Models with blocked-layout (NCHWc) convolutions load as plain ONNX where this CPU or
 * ORT build lacks those kernels (nchwc.ts).
 *
 * Two defaults differ from ORT's, both measured on the training steps (au-lens bench, a 2-core box shared with
 * other work): intra-op threads wait without spinning, because a spinning pool loses its core whenever another
 * process wants it (tiny64 at 2 threads with one foreign CPU busy: 137 instead of 74 img/s; small96: 13.8–14.0
 * instead of 9.2–10.6), as the PyTorch peer needs OMP_WAIT_POLICY=PASSIVE — on an otherwise idle machine spinning
 * would gain small96 1–10 % at 2 threads, not worth losing a quarter to a half beside a busy editor; and no memory
 * pattern, which pre-plans one block for every intermediate of the step (small96 peak RSS 0.80 instead of 1.28 GB,
 * same CPU time per step).
 */
export async function createSession(
  model: Uint8Array,
  options: EngineOptions = {},
  io: SessionIO = {},
): Promise<ort.InferenceSession> {
  const provider = engineDevice(options);
  checkDeviceAvailable(provider);
  const onDevice = residentTensors(provider) ? io.outputsOnDevice ?? [] : [];
  const outputLocations = Object.fromEntries(onDevice.map((name) => [name, 'gpu-buffer' as const]));
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    ...(onDevice.length > 0 && { preferredOutputLocation: outputLocations }),
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableMemPattern: false,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    executionProviders: executionProviders(provider),
  };
  if (provider !== 'cpu') {
    const proto = onnx.ModelProto.decode(model);
    if (provider === 'webgpu') checkRunsOnWebGpu(proto.graph?.node ?? []);
    // The blocked-layout ops are CPU kernels: on a GPU each would copy its tensors to the host and back.
    if (usesBlockedOps(proto)) model = withoutBlockedOps(proto);
  }
  try {
    return await ort.InferenceSession.create(model, sessionOptions);
  } catch (err) {
    if (provider === 'webgpu') throw webGpuStartError(err) ?? err;
    if (!usesBlockedOps(model)) throw err;
    return ort.InferenceSession.create(withoutBlockedOps(model), sessionOptions);
  }
}

export function floatTensor(data: Float32Array, shape: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, [...shape]);
}

export function int64Tensor(data: BigInt64Array | readonly number[], shape: readonly number[]): ort.Tensor {
  const values = data instanceof BigInt64Array ? data : BigInt64Array.from(data.map((v) => BigInt(v)));
  return new ort.Tensor('int64', values, [...shape]);
}

export function tensorOf(dtype: DType, data: Float32Array | BigInt64Array, shape: readonly number[]): ort.Tensor {
  return dtype === 'int64' ? int64Tensor(data as BigInt64Array, shape) : floatTensor(data as Float32Array, shape);
}

export { ort };
