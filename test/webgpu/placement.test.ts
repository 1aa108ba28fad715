/**
 * Where ONNX Runtime places every model's graphs on WebGPU, read on SwiftShader (WebGPU without a GPU,
 * helpers/swiftShader.ts) by scripts/device/placement.ts: no node may stay on the CPU but shape ops.
 */
import assert from 'node:assert/strict';
import { MODEL_NAMES } from '../../src/trainer/models/modelNames';
import { requireSwiftShader, runTs } from '../helpers/swiftShader';
import { cpuFallbacks, parsePlacements } from '../../scripts/device/placement';

interface GraphPlacement {
  readonly model: string;
  readonly graph: string;
  readonly nodes: Record<string, number>;
  readonly cpu: readonly string[];
  readonly fallbacks: readonly string[];
}

describe('WebGPU placement (SwiftShader)', function () {
  this.timeout(600_000);

  it('reads ORT\'s verbose placement log: the nodes each provider runs, and which of those on the CPU are not shape ops', () => {
    const line = (text: string): string => `2026-12-05 10:50:20.2 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp] ${text}`;
    const log = [
      '@@placement tiny64 train',
      line('Node placements'),
      line(' Node(s) placed on [CPUExecutionProvider]. Number of nodes: 3'),
      line('  Cast (Cast_231)'),
      line('  OneHot (OneHot_7)'),
      `\x1b[0;93m${line('  Shape (Shape_9)')}\x1b[m`,
      line(' Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 2'),
      line('  Conv (Conv_1)'),
      line('  MemcpyFromHost (Memcpy)'),
      '2026-12-05 10:50:20.3 [I:onnxruntime:, allocation_planner.cc:2653 CreateGraphPartitioner] Use DeviceBasedPartition',
      '@@placement tiny64 inference',
      line(' All nodes placed on [WebGpuExecutionProvider]. Number of nodes: 48'),
      '@@placement end',
    ].join('\n');
    const [train, inference, ...rest] = parsePlacements(log);
    assert.equal(rest.length, 0);
    assert.deepEqual(train!.providers, {
      CPUExecutionProvider: { count: 3, nodes: ['Cast (Cast_231)', 'OneHot (OneHot_7)', 'Shape (Shape_9)'] },
      WebGpuExecutionProvider: { count: 2, nodes: ['Conv (Conv_1)', 'MemcpyFromHost (Memcpy)'] },
    });
    assert.deepEqual(cpuFallbacks(train!), ['OneHot (OneHot_7)']);
    assert.deepEqual(inference!.providers, { WebGpuExecutionProvider: { count: 48, nodes: [] } });
  });

  it('keeps every node of every model\'s training, inference, explanation and explainer graph on the GPU but shape ops', async function () {
    const env = requireSwiftShader(this);
    const started = performance.now();
    let stdout: string;
    try {
      stdout = await runTs(env, 'scripts/device/placement.ts');
    } catch (err) {
      // Exit 1: some node fell back; its lines still say which.
      stdout = (err as { stdout?: string }).stdout ?? '';
      if (!stdout.includes('"check":"placement"')) throw err;
    }
    const graphs = stdout.trim().split('\n').map((l) => JSON.parse(l) as GraphPlacement).filter((p) => p.model !== undefined);
    assert.deepEqual(graphs.map((p) => `${p.model} ${p.graph}`), MODEL_NAMES.flatMap((m) => ['train', 'inference', 'explanation', 'explainer', 'logits'].map((g) => `${m} ${g}`)));
    for (const p of graphs) {
      assert.ok((p.nodes['WebGpuExecutionProvider'] ?? 0) > 0, `${p.model} ${p.graph}: nothing on WebGPU`);
      assert.deepEqual(p.fallbacks, [], `${p.model} ${p.graph} runs these on the CPU: ${p.fallbacks.join(', ')}`);
    }
    console.log(`      ${graphs.length} graphs placed in ${((performance.now() - started) / 1000).toFixed(0)} s; on the CPU: ` +
      graphs.filter((p) => p.cpu.length > 0).map((p) => `${p.model} ${p.graph}: ${p.cpu.join(', ')}`).join('; '));
  });
});
