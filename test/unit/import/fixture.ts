/** The PyTorch peer's tiny64 exported by torch.onnx.export, with PyTorch's outputs (make_peer_onnx_fixture.py). */
import * as fs from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { numel } from '../../../src/trainer/onnx/graph';
import { PAPER_CLASSES } from '../../../src/trainer/science/labels';
import { repoRoot } from '../../helpers/paths';
import { makeTempDir } from '../io/fixtures';

export const PEER_ONNX_DIR = path.join(repoRoot, 'test', 'fixtures', 'golden', 'tiny64-peer-onnx');
export const PEER_ONNX = path.join(PEER_ONNX_DIR, 'model.onnx');

export interface PeerFixture {
  readonly inputSize: number;
  /** Layer name → ONNX value. */
  readonly layers: Readonly<Record<string, string>>;
  readonly camLayer: string;
  readonly gradClass: number;
  tensor(name: string): Float32Array;
}

export function peerFixture(): PeerFixture {
  const index = JSON.parse(fs.readFileSync(path.join(PEER_ONNX_DIR, 'index.json'), 'utf8')) as {
    inputSize: number; layers: Record<string, string>; camLayer: string; gradClass: number;
    tensors: { name: string; shape: number[]; offset: number }[];
  };
  const bytes = fs.readFileSync(path.join(PEER_ONNX_DIR, 'tensors.bin'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    ...index,
    tensor: (name) => {
      const entry = index.tensors.find((t) => t.name === name);
      if (!entry) throw new Error(`fixture has no tensor "${name}"`);
      return Float32Array.from({ length: numel(entry.shape) }, (_, i) => view.getFloat32(entry.offset + 4 * i, true));
    },
  };
}

/** The sidecar a user would write for the fixture: every layer by its PyTorch name. */
export function peerSidecar(fixture: PeerFixture, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    labels: PAPER_CLASSES,
    input: { size: fixture.inputSize },
    layers: Object.entries(fixture.layers).map(([name, value]) => ({ value, name })),
    camLayer: fixture.camLayer,
    ...extra,
  };
}

/** The fixture model copied into `dir` as `name`, with `sidecar` beside it (none when undefined). */
export async function placePeerModel(dir: string, sidecar: Record<string, unknown> | undefined, name = 'model.onnx'): Promise<string> {
  const file = path.join(dir, name);
  await copyFile(PEER_ONNX, file);
  if (sidecar) await writeFile(path.join(dir, `${path.basename(name, '.onnx')}.au-lens.json`), JSON.stringify(sidecar));
  return file;
}

/** The torchvision-layout ViT exported at opset 17 (make_import_vit_fixture.py): 32 px, 4×4 patches, 3 blocks. */
export const IMPORT_VIT = path.join(repoRoot, 'test', 'fixtures', 'golden', 'import-vit', 'model.onnx');
/** Its block k's residual Adds ('Add', 'Add_1': the block output) and attention Softmax, as ONNX values. */
export const importVitValue = (k: number, node: 'Add' | 'Add_1' | 'self_attention/Softmax'): string =>
  `/encoder/layers/encoder_layer_${k}/${node}_output_0`;

/**
 * The ViT fixture copied into `dir` as `name` with a sidecar explaining block 2's output tokens, `tokens` laid out
 * (and naming attention for rollout) as given.
 */
export async function placeImportVit(dir: string, name: string, tokens: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, name);
  await copyFile(IMPORT_VIT, file);
  const sidecar = { labels: PAPER_CLASSES, layers: [{ value: importVitValue(1, 'Add_1'), name: 'block2' }], tokens };
  await writeFile(path.join(dir, `${path.basename(name, '.onnx')}.au-lens.json`), JSON.stringify(sidecar));
  return file;
}

/** max |a − b| / max |b|. */
export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/** A temp folder for the calling suite, made before its tests and removed after them. */
export function useTempDir(prefix: string): { readonly dir: string } {
  const scratch = { dir: '' };
  let cleanup: () => Promise<void> = async () => {};
  before(async () => {
    ({ dir: scratch.dir, cleanup } = await makeTempDir(prefix));
  });
  after(() => cleanup());
  return scratch;
}
