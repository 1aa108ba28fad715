import * as path from 'node:path';
import { exportCheckpoint } from '../export/exportModel';
import { defineCommand, requireFlag, UsageError } from './command';

const USAGE = `Usage: au-lens export --checkpoint CKPT --out MODEL.onnx [--json]

Writes a checkpoint's model as a standalone ONNX file (opset 17, weights inside) that any ONNX runtime can run.
Input 'image' [batch, 3, S, S] (any batch size); outputs 'logits', the attention 'att.<layer>' of every layer
and the last stage's 'features'. The au_lens.* metadata holds the class labels, input size, normalisation,
AU codebook and layer names; au-lens explain reads it.

Flags:
  --checkpoint CKPT   a checkpoint written by au-lens train, or a pretrained model's name (faceapi-expression)
  --out MODEL.onnx    the file to write (replaced atomically)
  --json              print a machine-readable summary`;

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'export a checkpoint as a standalone ONNX model with its labels and normalisation',
  usage: USAGE,
  flags: { checkpoint: 'string', out: 'string', json: 'boolean' },
  async run(f, io) {
    const checkpoint = requireFlag(f.checkpoint, 'checkpoint');
    const out = requireFlag(f.out, 'out');
    if (path.extname(out).toLowerCase() !== '.onnx') throw new UsageError(`--out must end in .onnx, got "${out}"`);
    const summary = await exportCheckpoint(checkpoint, out);
    if (f.json) {
      io.out(JSON.stringify(summary));
      return;
    }
    const shape = (s: readonly (number | string)[]): string => `[${s.join(', ')}]`;
    io.out(
      `${summary.out}: ${summary.preset}, ${(summary.bytes / 1e6).toFixed(1)} MB, classes ${summary.labels.join(', ')}`,
    );
    for (const v of summary.inputs) io.out(`  input  ${v.name.padEnd(12)} ${shape(v.shape)}`);
    for (const v of summary.outputs) io.out(`  output ${v.name.padEnd(12)} ${shape(v.shape)}`);
    if (summary.note !== undefined) io.err(`note: ${checkpoint}: ${summary.note}`);
  },
});
