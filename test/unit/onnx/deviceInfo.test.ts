import assert from 'node:assert/strict';
import type { SystemProbe } from '../../../src/trainer/onnx/deviceInfo';
import { describeDevice, thisMachine } from '../../../src/trainer/onnx/deviceInfo';

/** A Linux machine made of the given files (path → text); nvidia-smi prints `smi` where given. */
function machine(files: Record<string, string>, options: { env?: NodeJS.ProcessEnv; smi?: string; platform?: NodeJS.Platform } = {}): SystemProbe {
  return {
    platform: options.platform ?? 'linux',
    env: options.env ?? {},
    cpuModel: () => 'AMD EPYC 7B13 64-Core Processor',
    readFile: (file) => files[file],
    listDir: (dir) => [...new Set(Object.keys(files).filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1).split('/')[0]!))],
    run: (command) => (command === 'nvidia-smi' ? options.smi : undefined),
  };
}

const H200 = { '/proc/driver/nvidia/gpus/0000:18:00.0/information': 'Model: \t\t NVIDIA H200\nIRQ:   \t\t 123\n' };

describe('device names', () => {
  it('names the CPU by its model and a GPU as NVIDIA\'s driver does, for WebGPU and CUDA', () => {
    assert.deepEqual(describeDevice('cpu', machine({})), { device: 'cpu', kind: 'CPU', adapter: 'AMD EPYC 7B13 64-Core Processor', label: 'CPU · AMD EPYC 7B13 64-Core Processor' });
    assert.equal(describeDevice('webgpu', machine(H200)).label, 'WebGPU · NVIDIA H200');
    assert.equal(describeDevice('cuda', machine(H200)).label, 'CUDA · NVIDIA H200');
    const two = { ...H200, '/proc/driver/nvidia/gpus/0000:3b:00.0/information': 'Model: \t\t NVIDIA H200\n' };
    assert.equal(describeDevice('webgpu', machine(two)).label, 'WebGPU · NVIDIA H200');
  });

  it('falls back to nvidia-smi, then to the GPU vendor by PCI id, then to the kind alone', () => {
    assert.equal(describeDevice('webgpu', machine({}, { smi: 'NVIDIA A100-SXM4-80GB\nNVIDIA T4\n' })).label, 'WebGPU · NVIDIA A100-SXM4-80GB or NVIDIA T4');
    const amd = { '/sys/bus/pci/devices/0000:03:00.0/class': '0x030000\n', '/sys/bus/pci/devices/0000:03:00.0/vendor': '0x1002\n',
      '/sys/bus/pci/devices/0000:00:14.0/class': '0x0c0330\n', '/sys/bus/pci/devices/0000:00:14.0/vendor': '0x8086\n' };
    assert.equal(describeDevice('webgpu', machine(amd)).label, 'WebGPU · AMD GPU');
    assert.deepEqual(describeDevice('webgpu', machine({})), { device: 'webgpu', kind: 'WebGPU', label: 'WebGPU' });
    assert.equal(describeDevice('cuda', machine(amd)).label, 'CUDA');
    assert.equal(describeDevice('webgpu', machine(H200, { platform: 'darwin' })).label, 'WebGPU');
  });

  it('says SwiftShader, not the GPU, when the environment selects its Vulkan driver', () => {
    const env = { VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' };
    assert.equal(describeDevice('webgpu', machine(H200, { env })).label, 'WebGPU · SwiftShader (CPU)');
  });

  it('reads this machine without failing', () => {
    assert.match(describeDevice('webgpu', thisMachine).label, /^WebGPU/);
  });
});
