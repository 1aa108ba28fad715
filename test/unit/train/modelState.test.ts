/**
 * ModelState with tensors in GPU memory, faked here with gpu-buffer tensors whose disposal is counted: reads wait
 * for toHost, replaced tensors are freed, and leaveDevice brings the values home. test/webgpu runs the real thing.
 */
import assert from 'node:assert/strict';
import type { ParamSpec } from '../../../src/trainer/models/types';
import { ort } from '../../../src/trainer/onnx/session';
import type { HostReader } from '../../../src/trainer/train/modelState';
import { ModelState } from '../../../src/trainer/train/modelState';

const SPECS: ParamSpec[] = [
  { name: 'fc.weight', shape: [2, 2], role: 'fc_weight', init: { kind: 'zeros' } },
  { name: 'bn.running_mean', shape: [2], role: 'bn_running_mean', init: { kind: 'zeros' } },
];

/** A stand-in for a tensor in GPU memory that remembers its value and counts its disposal. */
function onDevice(values: number[], shape: number[], disposed: Set<string>, id: string): ort.Tensor {
  const t = ort.Tensor.fromGpuBuffer({ id } as never, { dataType: 'float32', dims: shape, dispose: () => disposed.add(id) });
  return Object.assign(t, { fakeValues: Float32Array.from(values) });
}

const hostValues = (t: ort.Tensor): Float32Array => (t as ort.Tensor & { fakeValues: Float32Array }).fakeValues;

describe('ModelState in GPU memory', () => {
  it('is read only after toHost, frees the tensors a step replaces, and comes home with leaveDevice', async () => {
    const state = ModelState.fromParams(SPECS, new Map([['fc.weight', Float32Array.of(1, 2, 3, 4)], ['bn.running_mean', Float32Array.of(0, 0)]]));
    assert.equal(state.onDevice, false);
    assert.deepEqual([...state.params().get('fc.weight')!], [1, 2, 3, 4]);

    const disposed = new Set<string>();
    let reads = 0;
    const reader: HostReader = async (model, momentum) => {
      reads++;
      const read = (m: ReadonlyMap<string, ort.Tensor>): Map<string, Float32Array> => new Map([...m].map(([name, t]) => [name, hostValues(t)]));
      return { model: read(model), momentum: read(momentum) };
    };
    const step = (k: number): void => state.adopt(
      new Map([['fc.weight', onDevice([k, k, k, k], [2, 2], disposed, `w${k}`)], ['bn.running_mean', onDevice([k, -k], [2], disposed, `m${k}`)]]),
      new Map([['fc.weight', onDevice([-k, 0, 0, k], [2, 2], disposed, `v${k}`)]]),
      reader,
    );

    step(1);
    assert.equal(state.onDevice, true);
    assert.throws(() => state.params(), /in GPU memory and has changed since it was last read: await toHost\(\) first/);
    await state.toHost();
    await state.toHost();
    assert.equal(reads, 1, 'a second toHost without a step reads nothing');
    assert.deepEqual([...state.params().get('fc.weight')!], [1, 1, 1, 1]);
    assert.equal(state.firstNonFinite(), undefined);
    assert.deepEqual([...disposed], [], 'the host tensors it replaced need no freeing');

    step(2);
    assert.deepEqual([...disposed].sort(), ['m1', 'v1', 'w1'], 'the device tensors step 2 replaced are freed');
    assert.throws(() => state.checkpointTensors(), /await toHost\(\) first/);

    await state.leaveDevice();
    assert.equal(state.onDevice, false);
    assert.deepEqual([...disposed].sort(), ['m1', 'm2', 'v1', 'v2', 'w1', 'w2']);
    assert.ok([...state.model.values(), ...state.momentum.values()].every((t) => t.location === 'cpu'));
    const { model, momentum } = state.checkpointTensors();
    assert.deepEqual(model.map((t) => [t.name, [...t.data]]), [['fc.weight', [2, 2, 2, 2]], ['bn.running_mean', [2, -2]]]);
    assert.deepEqual(momentum.map((t) => [t.name, t.shape, [...t.data]]), [['fc.weight', [2, 2], [-2, 0, 0, 2]]]);
  });

  it('refuses tensors in GPU memory without a way to read them', () => {
    const state = ModelState.fromParams(SPECS, new Map([['fc.weight', new Float32Array(4)], ['bn.running_mean', new Float32Array(2)]]));
    assert.throws(() => state.adopt(new Map([['fc.weight', onDevice([0, 0, 0, 0], [2, 2], new Set(), 'w')]]), new Map()), /needs a reader/);
  });
});
