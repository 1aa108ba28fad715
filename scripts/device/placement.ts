/**
 * Where ONNX Runtime places each node of our graphs on a GPU device: every model's training step, inference,
 * explanation (batch, as evaluation runs it), single-image explainer and faithfulness logits graph, each built for
 * the device. Nothing
 * runs: ORT logs the placement at verbose level when a session is created ("Node placements"), which this script
 * reads from a child process of itself (the log goes to the native stderr, out of reach of the process writing it).
 * Prints one JSON line per graph with the nodes left on the CPU, and exits with 1 when any of them is not a shape op.
 *
 * Usage: node -r tsx/cjs scripts/device/placement.ts [--device webgpu] [--models tiny64,resnet18] [--graphs train,…]
 * test/webgpu runs it on SwiftShader; scripts/device/device-check-run.sh on a GPU.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildExplainerGraph } from '../../src/trainer/explain/explainGraph';
import { buildExplanation } from '../../src/trainer/graphs/explain';
import { buildInference, buildLogits } from '../../src/trainer/graphs/inference';
import { buildTrainStep } from '../../src/trainer/graphs/trainStep';
import { initParams, paramSpecs } from '../../src/trainer/models/params';
import type { ModelName } from '../../src/trainer/models/modelNames';
import { isModelName, MODEL_NAMES } from '../../src/trainer/models/modelNames';
import { presetInfo } from '../../src/trainer/models/presets';
import { ROLLOUT_LAYER } from '../../src/trainer/models/vitPresets';
import type { Device } from '../../src/trainer/onnx/deviceNames';
import { isDevice } from '../../src/trainer/onnx/deviceNames';
import { createSession, ort } from '../../src/trainer/onnx/session';

const GRAPHS = ['train', 'inference', 'explanation', 'explainer', 'logits'] as const;
type GraphKind = (typeof GRAPHS)[number];

/**
 * Ops on shape tensors, which ORT keeps on the CPU on purpose (their values steer the GPU kernels), and the casts
 * of int64 graph inputs, which WebGPU leaves there too: none of them moves activations between the devices.
 */
export const SHAPE_OPS: readonly string[] = [
  'Shape', 'Size', 'Gather', 'Concat', 'Unsqueeze', 'Squeeze', 'Slice', 'Cast', 'Range', 'ConstantOfShape', 'Reshape', 'Expand', 'Identity',
];

const CLASSES = 7;
const BATCH = 2;
const MARK = '@@placement';

function build(model: ModelName, kind: GraphKind, device: Device): Uint8Array {
  const info = presetInfo(model);
  const config = { preset: model, numClasses: CLASSES, batch: BATCH, device };
  switch (kind) {
    case 'train': return buildTrainStep({ ...config, lambda: 4, layers: [info.defaultLayer] }).model;
    case 'inference': return buildInference(config, 'inputs').model;
    // A ViT's rollout is computed beside the network: no class score has a gradient there to explain.
    case 'explanation':
      return buildExplanation({ ...config, layers: info.layers.filter((l) => l !== ROLLOUT_LAYER) }, 'inputs').model;
    case 'explainer':
      return buildExplainerGraph({ preset: model, numClasses: CLASSES, camLayer: info.defaultLayer, device }, initParams(paramSpecs(model, CLASSES), 0));
    case 'logits': return buildLogits(config, initParams(paramSpecs(model, CLASSES), 0));
  }
}

/** Creates each session with ORT's verbose log on, marking on stderr which graph the lines after a mark belong to. */
async function child(device: Device, models: readonly ModelName[], graphs: readonly GraphKind[]): Promise<void> {
  ort.env.logLevel = 'verbose';
  for (const model of models) {
    for (const kind of graphs) {
      process.stderr.write(`\n${MARK} ${model} ${kind}\n`);
      await (await createSession(build(model, kind, device), { provider: device })).release();
    }
  }
  process.stderr.write(`\n${MARK} end\n`);
}

export interface Placement {
  readonly model: string;
  readonly graph: string;
  /** Per provider, how many nodes it runs and, unless it runs them all, which: "Op (name)". */
  readonly providers: Record<string, { count: number; nodes: string[] }>;
}

/** The placement of every graph in a verbose ORT log with this script's marks. */
export function parsePlacements(log: string): Placement[] {
  const out: Placement[] = [];
  let current: Placement | undefined;
  let provider: string | undefined;
  // eslint-disable-next-line no-control-regex -- ANSI colours, as ORT writes them to a terminal.
  for (const line of log.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
    if (line.startsWith(MARK)) {
      const [, model, graph] = line.split(' ');
      current = graph === undefined ? undefined : { model: model!, graph, providers: {} };
      if (current) out.push(current);
      provider = undefined;
      continue;
    }
    const placed = /(?:Node\(s\)|All nodes) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (placed && current) {
      provider = placed[1]!;
      current.providers[provider] = { count: Number(placed[2]), nodes: [] };
      continue;
    }
    const node = /VerifyEachNodeIsAssignedToAnEp\] {3}(\S+) \((.*)\)$/.exec(line);
    if (node && current && provider) current.providers[provider]!.nodes.push(`${node[1]} (${node[2]})`);
    else if (!/VerifyEachNodeIsAssignedToAnEp/.test(line)) provider = undefined;
  }
  return out;
}

/** The nodes a graph leaves on the CPU that are not shape ops (MemcpyToHost/FromHost are the GPU provider's). */
export function cpuFallbacks(p: Placement): string[] {
  return (p.providers['CPUExecutionProvider']?.nodes ?? []).filter((n) => !SHAPE_OPS.includes(n.split(' ')[0]!));
}

async function parent(argv: readonly string[]): Promise<number> {
  const started = performance.now();
  // A file, not a pipe: Node makes a piped stderr non-blocking, and ORT's native writes to it are lost when full.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'au-lens-placement-'));
  const file = path.join(dir, 'ort.log');
  const fd = openSync(file, 'w');
  const proc = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--child', ...argv], { stdio: ['ignore', 'inherit', fd] });
  closeSync(fd);
  const code = await new Promise<number>((resolve) => proc.on('close', (c) => resolve(c ?? 1)));
  const log = readFileSync(file, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0 || !log.includes(`${MARK} end`)) {
    process.stderr.write(log.split('\n').filter((l) => !/\[[VI]:onnxruntime/.test(l)).slice(-20).join('\n'));
    console.error(`placement: the child process failed (exit ${code})`);
    return 2;
  }
  let failed = false;
  for (const p of parsePlacements(log)) {
    const fallbacks = cpuFallbacks(p);
    failed ||= fallbacks.length > 0;
    const counts = Object.fromEntries(Object.entries(p.providers).map(([name, { count }]) => [name, count]));
    console.log(JSON.stringify({ model: p.model, graph: p.graph, nodes: counts, cpu: p.providers['CPUExecutionProvider']?.nodes ?? [], fallbacks }));
  }
  console.log(JSON.stringify({ check: 'placement', seconds: (performance.now() - started) / 1000, passed: !failed }));
  return failed ? 1 : 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      device: { type: 'string', default: 'webgpu' }, models: { type: 'string', default: MODEL_NAMES.join(',') },
      graphs: { type: 'string', default: GRAPHS.join(',') }, child: { type: 'boolean' },
    },
  });
  if (!isDevice(values.device) || values.device === 'cpu') throw new Error(`--device must be a GPU device, got "${values.device}"`);
  const models = values.models.split(',');
  const bad = models.find((m) => !isModelName(m));
  if (bad !== undefined) throw new Error(`--models takes ${MODEL_NAMES.join(', ')}, got "${bad}"`);
  const graphs = values.graphs.split(',');
  const badGraph = graphs.find((k) => !(GRAPHS as readonly string[]).includes(k));
  if (badGraph !== undefined) throw new Error(`--graphs takes ${GRAPHS.join(', ')}, got "${badGraph}"`);
  if (values.child) await child(values.device, models as ModelName[], graphs as GraphKind[]);
  else process.exitCode = await parent(argv.filter((a) => a !== '--child'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`placement: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  });
}
