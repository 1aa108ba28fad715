/**
 * What to call the device a run uses, for `au-lens bench` and the editor's dashboard header and status bar:
 * "WebGPU · NVIDIA H200". onnxruntime-node 1.30 does not say which adapter Dawn picked (its JS API has no adapter
 * info and its logs name none), so the adapter is named as the system names its GPU: NVIDIA's driver lists its
 * models under /proc/driver/nvidia/gpus (else nvidia-smi), Linux names a GPU's vendor by PCI id, and SwiftShader
 * (a CPU posing as a GPU) is recognised by the Vulkan driver the environment selects. Dawn asks for the
 * high-performance adapter, so with one discrete GPU this is the one it runs on; elsewhere the label is the kind alone.
 * Reads files and may run nvidia-smi; no native module, so the extension host can call it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Device } from './deviceNames';

export interface DeviceDescription {
  readonly device: Device;
  /** "CPU", "CUDA" or "WebGPU". */
  readonly kind: string;
  /** The processor's model, when the system names one. */
  readonly adapter?: string;
  /** "WebGPU · NVIDIA H200", or the kind alone. */
  readonly label: string;
}

/** What describeDevice reads of the machine; tests give their own. */
export interface SystemProbe {
  readonly platform: NodeJS.Platform;
  readonly env: NodeJS.ProcessEnv;
  readonly cpuModel: () => string | undefined;
  readonly readFile: (file: string) => string | undefined;
  readonly listDir: (dir: string) => string[];
  /** A command's standard output, undefined when it cannot run. */
  readonly run: (command: string, args: readonly string[]) => string | undefined;
}

const KINDS: Readonly<Record<Device, string>> = { cpu: 'CPU', cuda: 'CUDA', webgpu: 'WebGPU' };
const PCI_VENDORS: Readonly<Record<string, string>> = { '0x10de': 'NVIDIA', '0x1002': 'AMD', '0x8086': 'Intel' };

export const thisMachine: SystemProbe = {
  platform: process.platform,
  env: process.env,
  cpuModel: () => os.cpus()[0]?.model.trim(),
  readFile: (file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  listDir: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  run: (command, args) => {
    try {
      return execFileSync(command, args, { encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return undefined;
    }
  },
};

/** The distinct names in order, joined: one GPU model, or the several a machine has. */
const oneOrSeveral = (names: readonly string[]): string | undefined => [...new Set(names)].join(' or ') || undefined;

function nvidiaModels(system: SystemProbe): string | undefined {
  const root = '/proc/driver/nvidia/gpus';
  const model = (gpu: string): string | undefined => /^Model:\s*(.+)$/m.exec(system.readFile(path.join(root, gpu, 'information')) ?? '')?.[1]?.trim();
  const named = system.listDir(root).map(model).filter((n): n is string => n !== undefined && n !== '');
  if (named.length > 0) return oneOrSeveral(named);
  const smi = system.run('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader']);
  return oneOrSeveral((smi ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== ''));
}

/** Display controllers (PCI class 0x03xxxx) by vendor, from sysfs: "AMD GPU". */
function gpuVendors(system: SystemProbe): string | undefined {
  const root = '/sys/bus/pci/devices';
  const vendors = system.listDir(root).flatMap((dev) => {
    if (!(system.readFile(path.join(root, dev, 'class')) ?? '').startsWith('0x03')) return [];
    const vendor = PCI_VENDORS[(system.readFile(path.join(root, dev, 'vendor')) ?? '').trim()];
    return vendor ? [`${vendor} GPU`] : [];
  });
  return oneOrSeveral(vendors);
}

function gpuAdapter(device: Device, system: SystemProbe): string | undefined {
  const vulkanDriver = `${system.env['VK_DRIVER_FILES'] ?? ''}:${system.env['VK_ICD_FILENAMES'] ?? ''}`;
  if (device === 'webgpu' && /swiftshader/i.test(vulkanDriver)) return 'SwiftShader (CPU)';
  if (system.platform !== 'linux') return undefined;
  return nvidiaModels(system) ?? (device === 'webgpu' ? gpuVendors(system) : undefined);
}

export function describeDevice(device: Device, system: SystemProbe = thisMachine): DeviceDescription {
  const kind = KINDS[device];
  const adapter = device === 'cpu' ? system.cpuModel() : gpuAdapter(device, system);
  const label = adapter === undefined ? kind : `${kind} · ${adapter}`;
  return { device, kind, ...(adapter !== undefined && { adapter }), label };
}
