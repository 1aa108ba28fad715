/**
 * Paths a model's own files name stay inside the model's folder: a sidecar's codebook and an ONNX model's external
 * data; no absolute path, no `..`, no symbolic link out, no named pipe. External data is read by AU Lens and put
 * inline, so ONNX Runtime never opens a file the model names.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { openModel } from '../../../src/trainer/explain/modelFile';
import { ModelFileError } from '../../../src/trainer/export/modelDescription';
import { decodeWithData } from '../../../src/trainer/import/externalData';
import { makeTempDir } from '../io/fixtures';
import { repoRoot } from '../../helpers/paths';
import { peerFixture, peerSidecar, placePeerModel } from './fixture';

/** y = x + w, with w's two floats kept in `location`. */
function modelWithExternal(location: string): Uint8Array {
  const w = onnx.TensorProto.create({
    name: 'w', dims: [2], dataType: onnx.TensorProto.DataType.FLOAT, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [{ key: 'location', value: location }, { key: 'offset', value: '4' }, { key: 'length', value: '8' }],
  });
  const io = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } });
  const graph = onnx.GraphProto.create({ name: 'g', initializer: [w], input: [io('x')], output: [io('y')], node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }] });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ version: 17 }], graph })).finish();
}

describe('import: paths a model names stay in its folder', function () {
  this.timeout(60_000);
  let root = '';
  let cleanup: () => Promise<void> = async () => {};
  let folder = '';
  before(async () => {
    ({ dir: root, cleanup } = await makeTempDir('contained'));
    folder = path.join(root, 'model');
    await mkdir(folder);
    await writeFile(path.join(root, 'secret.bin'), Buffer.from('root:x:0:0:root'));
    const values = Buffer.alloc(12);
    values.writeFloatLE(1.5, 4);
    values.writeFloatLE(-2, 8);
    await writeFile(path.join(folder, 'data.bin'), values);
    await symlink(path.join(root, 'secret.bin'), path.join(folder, 'link.bin'));
    execFileSync('mkfifo', [path.join(folder, 'pipe.bin')]);
  });
  after(() => cleanup());

  const refused = async (location: string, problem: RegExp): Promise<void> => {
    const file = path.join(folder, 'm.onnx');
    await assert.rejects(decodeWithData(modelWithExternal(location), file), (err: Error) =>
      err instanceof ModelFileError && problem.test(err.message) && !err.message.includes('root:x'));
  };

  it('external data: absolute, climbing out, linked out or a pipe is refused; inside the folder it is put inline', async () => {
    await refused('/etc/hostname', /must be a path relative to the model's folder, not absolute/);
    await refused('../secret.bin', /must stay inside the model's folder \(no "\.\."\)/);
    await refused('link.bin', /leads outside the model's folder through a symbolic link/);
    await refused('pipe.bin', /is a named pipe, not a regular file/);
    await refused('data.bin\u0000', /external data|file not found/);
    const { proto, bytes } = await decodeWithData(modelWithExternal('data.bin'), path.join(folder, 'm.onnx'));
    assert.equal(proto.graph!.initializer![0]!.dataLocation, onnx.TensorProto.DataLocation.DEFAULT);
    // ONNX Runtime gets bytes that need no file: run from any working directory, it adds w = [1.5, -2].
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 1]), [2]) });
    assert.deepEqual([...(out['y']!.data as Float32Array)], [2.5, -1]);
    await session.release();
  });

  it("a sidecar's codebook: a preset or a file inside the model's folder, never /etc/passwd or ../", async () => {
    const fixture = peerFixture();
    const place = async (name: string, codebook: string): Promise<string> => {
      const dir = path.join(root, name);
      await mkdir(dir, { recursive: true });
      return placePeerModel(dir, peerSidecar(fixture, { codebook }));
    };
    const cases: [string, string, RegExp][] = [
      ['absolute', '/etc/passwd', /"codebook" "\/etc\/passwd" must be a path relative to the model's folder, not absolute/],
      ['climbing', '../secret.bin', /"codebook" "\.\.\/secret\.bin" must stay inside the model's folder/],
      ['not-json', 'notes.txt', /file not found|not valid JSON/],
    ];
    for (const [name, codebook, problem] of cases) {
      const model = await place(name, codebook);
      await assert.rejects(openModel(model, {}, { trusted: true }), (err: Error) =>
        err instanceof ModelFileError && problem.test(err.message));
    }
    const linked = await place('linked', 'codebook.json');
    await writeFile(path.join(root, 'outside.json'), '{"secret": true}');
    await symlink(path.join(root, 'outside.json'), path.join(root, 'linked', 'codebook.json'));
    await assert.rejects(openModel(linked, {}, { trusted: true }), /leads outside the model's folder through a symbolic link/);
    const inside = await place('inside', 'my.codebook.json');
    await copyFile(path.join(repoRoot, 'src/trainer/science/codebooks/official-code.json'), path.join(root, 'inside', 'my.codebook.json'));
    const model = await openModel(inside, {}, { trusted: true });
    assert.equal(model.description.codebook.name, 'official-code');
    await model.release();
  });
});
