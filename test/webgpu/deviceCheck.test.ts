/**
 * scripts/device/device-check.ts on SwiftShader (WebGPU without a GPU, helpers/swiftShader.ts): the training step on
 * WebGPU against the CPU, from the same weights, for tiny64 and resnet18 (its stem max-pool's gradient routed
 * without indices) at batch 2. One step gives the CPU's loss within 1e-5 relative and every updated tensor within
 * 5 % of that step's own change; so do two steps with the state kept in GPU memory between them. SwiftShader runs
 * WebGPU at well under 1 GFLOP/s, so resnet18 is checked at 32×32 pixels (the same graph, on smaller maps).
 */
import assert from 'node:assert/strict';
import { requireSwiftShader, runTs } from '../helpers/swiftShader';

const LOSS_TOLERANCE = 1e-5;
const UPDATE_TOLERANCE = 0.05;

interface CheckLine {
  readonly check: string;
  readonly [key: string]: unknown;
}

async function deviceCheck(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<CheckLine[]> {
  const stdout = await runTs(env, 'scripts/device/device-check.ts', ['--device', 'webgpu', '--steps', '0', '--cpu-threads', '1', ...args]);
  return stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as CheckLine);
}

function assertTraining(lines: readonly CheckLine[], model: string): void {
  const one = lines.find((l) => l.check === 'one training step from the same weights and batch');
  const two = lines.find((l) => l.check === 'two training steps, the state kept on the device between them');
  assert.ok(one && two, `${model}: ${JSON.stringify(lines)}`);
  assert.ok((one['loss_rel'] as number) <= LOSS_TOLERANCE, `${model} one step: loss ${one['loss_gpu']} vs the CPU's ${one['loss_cpu']}`);
  assert.ok((one['worst_update_rel'] as number) <= UPDATE_TOLERANCE, `${model} one step: ${one['worst_update']} off by ${one['worst_update_rel']} of its change`);
  assert.equal(two['state_resident_gpu'], true, `${model}: the state left the GPU between the steps`);
  assert.ok((two['loss2_rel'] as number) <= LOSS_TOLERANCE, `${model} second step: loss ${two['loss2_gpu']} vs the CPU's ${two['loss2_cpu']}`);
  assert.ok((two['worst_update_rel'] as number) <= UPDATE_TOLERANCE, `${model} two steps: ${two['worst_update']} off by ${two['worst_update_rel']} of its change`);
  console.log(`      ${model}: loss ${(one['loss_rel'] as number).toExponential(1)} / ${(two['loss2_rel'] as number).toExponential(1)} relative, ` +
    `worst update ${(one['worst_update_rel'] as number).toExponential(1)} / ${(two['worst_update_rel'] as number).toExponential(1)} of its change (one / two steps)`);
}

describe('WebGPU against the CPU (SwiftShader)', function () {
  this.timeout(900_000);
  let env: NodeJS.ProcessEnv;

  before(function () {
    env = requireSwiftShader(this);
  });

  it('tiny64: training (one step, and two with the state on the GPU), inference and explanation', async () => {
    const lines = await deviceCheck(env, ['--model', 'tiny64', '--batch', '2']);
    assertTraining(lines, 'tiny64');
    const inference = lines.find((l) => l.check === 'inference: logits and attention')!;
    assert.ok((inference['logits_rel'] as number) < 1e-4, JSON.stringify(inference));
    const explanation = lines.find((l) => l.check.startsWith('explanation'))!;
    assert.ok((explanation['worst_rel'] as number) < 0.05, JSON.stringify(explanation));
  });

  it('resnet18 at 32×32: training through the stem max-pool (one step, and two with the state on the GPU)', async () => {
    assertTraining(await deviceCheck(env, ['--model', 'resnet18', '--batch', '2', '--size', '32', '--checks', 'train']), 'resnet18');
  });
});
