/**
 * Bad input to the import, each with the message that names the problem and the fix: models that are not image
 * classifiers, odd or dynamic input shapes, a missing or wrong sidecar, a layer that does not exist, ops the
 * differentiator lacks (the explanation still works, with the gradient-free methods), a truncated file.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { openModel } from '../../../src/trainer/explain/modelFile';
import { ModelFileError } from '../../../src/trainer/export/modelDescription';
import { inspectModel } from '../../../src/trainer/import/inspectModel';
import { Graph } from '../../../src/trainer/onnx/graph';
import { conv } from '../../../src/trainer/onnx/ops';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import { maxRelDiff, PEER_ONNX, peerFixture, peerSidecar, placePeerModel, useTempDir } from './fixture';
import { createSession, floatTensor } from '../../../src/trainer/onnx/session';

const fixture = peerFixture();

/** The peer model decoded, changed by `edit`, written to dir/name with the fixture's sidecar beside it. */
async function editedPeer(dir: string, name: string, edit: (m: onnx.ModelProto) => void, sidecar: Record<string, unknown> | undefined = peerSidecar(fixture)): Promise<string> {
  const model = onnx.ModelProto.decode(await readFile(PEER_ONNX));
  edit(model);
  const file = path.join(dir, `${name}.onnx`);
  await writeFile(file, onnx.ModelProto.encode(model).finish());
  if (sidecar) await writeFile(path.join(dir, `${name}.au-lens.json`), JSON.stringify(sidecar));
  return file;
}

const rejectsWith = (p: Promise<unknown>, pattern: RegExp): Promise<void> =>
  assert.rejects(p, (e: unknown) => e instanceof ModelFileError && pattern.test(e.message) || assert.fail(`${(e as Error).message}\ndoes not match ${pattern}`));

describe('import: bad input', function () {
  this.timeout(20000);
  const scratch = useTempDir('import-bad');

  it('refuses an image-to-image model: not a classifier, with the output shape', async () => {
    const g = new Graph('denoise');
    const x = g.input('image', 'float32', [1, 3, 16, 16]);
    g.output(conv(g, x, g.constant(new Float32Array(9), [3, 3, 1, 1]), undefined), 'clean');
    const file = path.join(scratch.dir, 'denoise.onnx');
    await writeFile(file, toModelBytes(g));
    await rejectsWith(inspectModel(file, { trusted: true }), /denoise\.onnx: not an image classifier: output "clean" is \[1, 3, 16, 16\], but class scores are \[N, K\].*image-to-image/);
  });

  it('refuses a 1-channel input and dynamic H/W without an input size, saying where to set it', async () => {
    const gray = await editedPeer(scratch.dir, 'gray', (m) => {
      m.graph!.input![0]!.type!.tensorType!.shape!.dim![1]!.dimValue = 1;
    });
    await rejectsWith(openModel(gray, {}, { trusted: true }), /input "input" is \[batch, 1, 64, 64\], but AU Lens feeds RGB images as N×3×H×W; a 1-channel input/);
    const dynamic = (m: onnx.ModelProto): void => {
      const dims = m.graph!.input![0]!.type!.tensorType!.shape!.dim!;
      dims[2] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'height' });
      dims[3] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'width' });
    };
    const { input: _size, ...noSize } = peerSidecar(fixture);
    void _size;
    const withoutSize = await editedPeer(scratch.dir, 'dynamic', dynamic, noSize);
    await rejectsWith(openModel(withoutSize, {}, { trusted: true }), /dynamic height and width \[batch, 3, height, width\]; set the side the model was trained at as "input.size" in its sidecar .*dynamic\.au-lens\.json/);
    await rejectsWith(inspectModel(withoutSize, { trusted: true }), /set the side .* \(or pass --size\)/);
    const withSize = await editedPeer(scratch.dir, 'dynamic-sized', dynamic);
    const model = await openModel(withSize, {}, { trusted: true });
    assert.equal(model.description.inputSize, 64);
    await model.release();
  });

  it('says where the missing sidecar is expected and which command writes it', async () => {
    const file = await placePeerModel(scratch.dir, undefined, 'bare.onnx');
    await rejectsWith(openModel(file, {}, { trusted: true }), new RegExp(`bare\\.onnx: an ONNX model trained elsewhere needs a sidecar config \\(labels, input, layers\\), expected at ${path.join(scratch.dir, 'bare.au-lens.json').replace(/[.\\/]/g, '\\$&')}; write one with \`au-lens inspect --model .*bare\\.onnx --write-sidecar\``));
  });

  it('names the sidecar field at fault and what is allowed', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [peerSidecar(fixture, { labels: ['neutral', 'joyful'] }), /"labels\[1\]" is "joyful"; allowed: neutral, happy/],
      [peerSidecar(fixture, { labels: ['neutral', 'happy'] }), /the model has 7 outputs but its sidecar .* lists 2 labels/],
      [peerSidecar(fixture, { input: { size: 64, channels: 'RGBA' } }), /"input.channels" must be "RGB" or "BGR", got "RGBA"/],
      [peerSidecar(fixture, { input: { size: 96 } }), /input.size 96 does not match the model's input \[batch, 3, 64, 64\]/],
      [peerSidecar(fixture, { camLayer: 'fc' }), /"camLayer" must be the name of one of "layers" \(stem, stage1, stage2, stage3\), got "fc"/],
      [peerSidecar(fixture, { layer: [] }), /unknown field "layer"; allowed: /],
    ];
    for (const [i, [sidecar, pattern]] of cases.entries()) {
      const file = await placePeerModel(scratch.dir, sidecar, `field${i}.onnx`);
      await rejectsWith(openModel(file, {}, { trusted: true }), pattern);
    }
    const file = path.join(scratch.dir, 'field0.onnx');
    await writeFile(path.join(scratch.dir, 'field0.au-lens.json'), '{ "labels": [');
    await rejectsWith(openModel(file, {}, { trusted: true }), /its sidecar .*field0\.au-lens\.json is not valid JSON/);
  });

  it('lists the candidate layers when the sidecar names one that does not exist', async () => {
    const sidecar = peerSidecar(fixture, { layers: [{ value: '/model/stages.9/Relu_output_0', name: 'stage9' }] });
    delete sidecar['camLayer'];
    const file = await placePeerModel(scratch.dir, sidecar, 'nolayer.onnx');
    await rejectsWith(openModel(file, {}, { trusted: true }), /names layer "stage9" as value "\/model\/stages\.9\/Relu_output_0", which the graph does not have; its candidate layers: \/model\/stem\/stem\.0\/Conv_output_0 \[16×64×64\], .*\/model\/stages\.2\/stages\.2\.0\/Relu_1_output_0 \[64×16×16\]/);
  });

  it('offers attention and CAM when an op after the CAM layer is not covered, naming the op and its count, and still explains', async () => {
    // ReduceMean over H and W is the global average pooling in another form: CAM still finds the linear head.
    const file = await editedPeer(scratch.dir, 'reduce', (m) => {
      const pool = m.graph!.node!.find((n) => n.opType === 'GlobalAveragePool')!;
      pool.opType = 'ReduceMean';
      pool.attribute = [onnx.AttributeProto.create({ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 3] })];
    });
    const model = await openModel(file, {}, { trusted: true });
    try {
      assert.deepEqual(model.methods, ['cam']);
      assert.deepEqual(model.unavailable.map((u) => u.method), ['gradcam', 'gradcam++', 'layercam']);
      assert.match(model.unavailable[0]!.reason, /the differentiator does not cover these ops between the CAM layer and the logits: ReduceMean ×1/);
      const out = await model.run(fixture.tensor('input'), 0);
      assert.ok(maxRelDiff(out.logits, fixture.tensor('logits')) < 1e-5);
      assert.equal(out.gradients, undefined);
      assert.equal(out.attention.get('stage3')!.width, 16);
    } finally {
      await model.release();
    }
    const inspection = await inspectModel(file, { trusted: true });
    assert.deepEqual(inspection.unsupported, [{ op: 'ReduceMean', count: 1 }]);
  });

  it('copies uncovered ops before the CAM layer as they are, and keeps every gradient method', async () => {
    const file = await editedPeer(scratch.dir, 'leaky', (m) => {
      for (const n of m.graph!.node!.filter((n) => n.opType === 'Relu').slice(0, 2)) n.opType = 'LeakyRelu';
    });
    const model = await openModel(file, {}, { trusted: true });
    try {
      assert.deepEqual(model.methods, ['cam', 'gradcam', 'gradcam++', 'layercam']);
      const out = await model.run(fixture.tensor('input'), fixture.gradClass);
      const session = await createSession(await readFile(file));
      const reference = (await session.run({ input: floatTensor(fixture.tensor('input'), [1, 3, 64, 64]) }))['logits']!.data as Float32Array;
      await session.release();
      assert.ok(maxRelDiff(out.logits, reference) < 1e-5, 'logits as ONNX Runtime runs the file');
      assert.equal(out.gradients!.length, 64 * 16 * 16);
    } finally {
      await model.release();
    }
    assert.deepEqual((await inspectModel(file, { trusted: true })).unsupported, []);
  });

  it('offers no CAM when the head is not linear on the CAM layer, and says why', async () => {
    const file = await placePeerModel(scratch.dir, peerSidecar(fixture, { camLayer: 'stage2' }), 'midcam.onnx');
    const model = await openModel(file, {}, { trusted: true });
    try {
      assert.deepEqual(model.methods, ['gradcam', 'gradcam++', 'layercam']);
      assert.match(model.unavailable[0]!.reason, /CAM needs a linear head on the CAM layer: the CAM layer feeds 2 nodes/);
      const out = await model.run(fixture.tensor('input'), 3);
      assert.equal(out.gradients!.length, 32 * 32 * 32);
    } finally {
      await model.release();
    }
  });

  it('refuses a truncated or corrupt file', async () => {
    const bytes = await readFile(PEER_ONNX);
    const truncated = path.join(scratch.dir, 'truncated.onnx');
    await writeFile(truncated, bytes.subarray(0, 5000));
    await rejectsWith(openModel(truncated, {}, { trusted: true }), /truncated\.onnx: neither an AU Lens checkpoint nor a valid ONNX model/);
    await rejectsWith(inspectModel(truncated, { trusted: true }), /truncated\.onnx: neither an AU Lens checkpoint nor a valid ONNX model/);
    const corrupt = path.join(scratch.dir, 'corrupt.onnx');
    await writeFile(corrupt, Buffer.from('not a model at all'));
    await rejectsWith(inspectModel(corrupt, { trusted: true }), /corrupt\.onnx: neither an AU Lens checkpoint nor a valid ONNX model/);
    await rejectsWith(inspectModel(path.join(scratch.dir, 'absent.onnx'), { trusted: true }), /absent\.onnx: file not found/);
  });
});
