import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../../src/trainer/cli/main';
import { checkDeviceAvailable, DeviceError, deviceFromEnv, nativeLibraryDir, webGpuStartError } from '../../../src/trainer/onnx/device';
import { DEVICE_ENV } from '../../../src/trainer/onnx/deviceNames';
import { Graph } from '../../../src/trainer/onnx/graph';
import { maxPool, maxPoolWithIndices, mul } from '../../../src/trainer/onnx/ops';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import { TrainStepper } from '../../../src/trainer/train/stepper';
import { createSession, WEBGPU_LAYOUT_ENV } from '../../../src/trainer/onnx/session';

describe('execution device', () => {
  const saved = process.env[DEVICE_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[DEVICE_ENV];
    else process.env[DEVICE_ENV] = saved;
  });

  it('reads AU_LENS_DEVICE (CPU when unset) and refuses an unknown device', () => {
    assert.equal(deviceFromEnv({}), 'cpu');
    assert.equal(deviceFromEnv({ [DEVICE_ENV]: ' CUDA ' }), 'cuda');
    assert.equal(deviceFromEnv({ [DEVICE_ENV]: 'webgpu' }), 'webgpu');
    assert.throws(() => deviceFromEnv({ [DEVICE_ENV]: 'tpu' }), (e: Error) => e instanceof DeviceError && /"tpu" is not a device; use cpu, cuda or webgpu/.test(e.message));
  });

  it('says how to install the CUDA provider when it is missing, and accepts it once present', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'au-lens-ort-'));
    assert.throws(() => checkDeviceAvailable('cuda', dir),
      (e: Error) => e instanceof DeviceError && /CUDA provider of ONNX Runtime is not installed/.test(e.message) && /--onnxruntime-node-install=cuda12/.test(e.message));
    writeFileSync(path.join(dir, 'libonnxruntime_providers_cuda.so'), '');
    checkDeviceAvailable('cuda', dir);
    checkDeviceAvailable('cpu', path.join(dir, 'nowhere'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds onnxruntime-node\'s native library folder for this platform', () => {
    assert.match(nativeLibraryDir(), new RegExp(`napi-v6[\\\\/]${process.platform}[\\\\/]${process.arch}$`));
  });

  it('a session on CUDA without its provider fails with that message, not on the CPU in silence', async function () {
    if (process.env['CUDA_PROVIDER_INSTALLED']) this.skip();
    await assert.rejects(createSession(new Uint8Array(0), { provider: 'cuda' }), /CUDA provider of ONNX Runtime is not installed/);
  });

  it('WebGPU is inside onnxruntime-node; without a GPU driver a session says what is missing instead of running on the CPU', async () => {
    checkDeviceAvailable('webgpu');
    const g = new Graph('square');
    const x = g.input('x', 'float32', [2]);
    g.output(mul(g, x, x), 'y');
    try {
      // A machine with a GPU and its driver runs it (the lent GPU machine did: README).
      await (await createSession(toModelBytes(g), { provider: 'webgpu' })).release();
    } catch (err) {
      assert.ok(err instanceof DeviceError, String(err));
      assert.match(err.message, /^WebGPU found no GPU to run on \(Failed to get a WebGPU adapter: No supported adapters\)\. It needs /);
      if (process.platform === 'linux') assert.match(err.message, /libvulkan\.so\.1/);
    }
  });

  it('refuses a graph that needs MaxPool indices on WebGPU before ORT does, saying what does run there (not resnet training)', async () => {
    const pooled = (withIndices: boolean): Uint8Array => {
      const g = new Graph('pool');
      const x = g.input('x', 'float32', [1, 1, 4, 4]);
      const o = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] } as const;
      if (withIndices) {
        const [y, idx] = maxPoolWithIndices(g, x, o);
        g.output(y, 'y');
        g.output(idx, 'idx');
      } else g.output(maxPool(g, x, o), 'y');
      return toModelBytes(g);
    };
    const refusal = /^this graph needs the indices of max-pool "[^"]+" for its backward .*has no MaxPool indices\. Run it on the CPU: --device \(in VS Code, the setting AU Lens › Device\)\. Every AU Lens model trains and explains on WebGPU/;
    await assert.rejects(createSession(pooled(true), { provider: 'webgpu' }), (e: Error) => e instanceof DeviceError && refusal.test(e.message));
    // Plain max-pooling is left to the GPU (which this machine may lack: then the adapter error, not this one).
    await createSession(pooled(false), { provider: 'webgpu' }).then((s) => s.release(), (e: Error) => assert.doesNotMatch(e.message, /MaxPool indices/));
    // resnet18's training step, built for WebGPU, routes its stem max-pool's gradient without indices.
    await TrainStepper.create({ preset: 'resnet18', numClasses: 7, batch: 2, lambda: 1, layers: ['stage4'] }, { provider: 'webgpu' })
      .then((s) => s.release(), (e: Error) => assert.doesNotMatch(e.message, /MaxPool indices/));
  });

  it('takes the WebGPU layout from AU_LENS_WEBGPU_LAYOUT and refuses one that is not a layout', async () => {
    const g = new Graph('square');
    const x = g.input('x', 'float32', [2]);
    g.output(mul(g, x, x), 'y');
    process.env[WEBGPU_LAYOUT_ENV] = 'nhwc4';
    try {
      await assert.rejects(createSession(toModelBytes(g), { provider: 'webgpu' }), (e: Error) => e instanceof DeviceError && /^AU_LENS_WEBGPU_LAYOUT="nhwc4" is not a layout; use NCHW or NHWC/.test(e.message));
      process.env[WEBGPU_LAYOUT_ENV] = 'nchw';
      // Taken (this machine may lack a GPU: then the adapter error, not the layout's).
      await createSession(toModelBytes(g), { provider: 'webgpu' }).then((s) => s.release(), (e: Error) => assert.doesNotMatch(e.message, /layout/));
    } finally {
      delete process.env[WEBGPU_LAYOUT_ENV];
    }
  });

  it('turns only GPU start failures into device errors', () => {
    assert.equal(webGpuStartError(new Error('Load model from x failed: protobuf parsing failed')), undefined);
    assert.ok(webGpuStartError(new Error('webgpu_context.cc:136 … Failed to get a WebGPU adapter: No supported adapters')) instanceof DeviceError);
  });

  it('au-lens also takes --device before the command, and names a bad or missing value there', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    assert.equal(await runCli(['--device', 'gpu', 'bench'], io), 2);
    assert.match(lines.join('\n'), /^au-lens: --device must be cpu, cuda or webgpu, got "gpu"/);
    lines.length = 0;
    assert.equal(await runCli(['--device'], io), 2);
    assert.match(lines.join('\n'), /--device must be cpu, cuda or webgpu, got ""/);
    assert.equal(await runCli(['--device=cpu', 'bench', '--help'], io), 0);
    assert.equal(process.env[DEVICE_ENV], 'cpu');
    assert.equal(await runCli(['--devices', 'bench'], io), 2, 'not taken for --device');
  });

  it('au-lens takes --device anywhere among a command\'s flags and refuses a bad one', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    assert.equal(await runCli(['bench', '--device', 'gpu', '--model', 'tiny64'], io), 2);
    assert.match(lines.join('\n'), /--device must be cpu, cuda or webgpu, got "gpu"/);
    lines.length = 0;
    // The device check comes before any work: bench fails at its first session, naming the missing provider.
    const code = await runCli(['bench', 'infer', '--model', 'tiny64', '--device=cuda', '--steps', '1', '--reps', '1', '--warmup', '0'], io);
    assert.equal(process.env[DEVICE_ENV], 'cuda');
    if (!process.env['CUDA_PROVIDER_INSTALLED']) {
      assert.equal(code, 1);
      assert.match(lines.join('\n'), /au-lens bench: the CUDA provider of ONNX Runtime is not installed/);
    }
  });
});
