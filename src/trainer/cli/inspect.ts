import { defaultLabels, inspectModel, layerDisplayName, sidecarFor, writeSidecar } from '../import/inspectModel';
import type { ModelInspection } from '../import/inspectModel';
import { describeUnsupported } from '../import/opCoverage';
import type { TokenLayout } from '../import/tokenLayers';
import { defineCommand, parseIntFlag, parseThreads, requireFlag, UsageError } from './command';

const USAGE = `Usage: au-lens inspect --model MODEL.onnx [--write-sidecar] [flags]

Lists what AU Lens can explain in an ONNX image classifier trained elsewhere (for example a PyTorch model
exported with torch.onnx.export): its image input, its class scores, and the candidate layers — spatial
feature maps N×C×H×W with H, W > 1, in graph order, with their shapes; * marks the default choice (the last
map of each resolution). Says whether Grad-CAM, Grad-CAM++ and LayerCAM will work: every op between the CAM
layer (the last default) and the logits must be one the differentiator covers; ops before it run as they are.

--write-sidecar writes MODEL.au-lens.json beside the model: labels, input size and normalisation (ImageNet
mean/std on 0–1 RGB), the logits output, the layers (default choice, or --layers) and the CAM layer (the last);
for a vision transformer also "tokens": the patch grid and each block's attention Softmax, for attention rollout.
Review it, then: au-lens explain --model MODEL.onnx --image FILE --out DIR.

Flags:
  --model FILE         the .onnx model
  --size N             input side, for models whose height and width are dynamic
  --write-sidecar      write the sidecar config
  --labels A,B,...     class names in output order (default for 7 outputs: ${(defaultLabels(7) ?? []).join(',')})
  --layers V1,V2,...   ONNX values to explain (default: the * layers)
  --force              overwrite an existing sidecar
  --threads N          engine threads (default: all cores)
  --json               print the inspection as JSON`;

const tokensLines = (t: TokenLayout): string[] => [
  `  a vision transformer: tokens on a ${t.grid.join('×')} patch grid after ${t.skip} class token(s), its blocks' ` +
    'outputs shown as C×H×W grids (sidecar "tokens")',
  t.attention
    ? `  attention rollout of its ${t.attention.length} blocks from their attention Softmax (sidecar ` +
      `"tokens.attention"): ${t.attention.join(', ')}`
    : '  no attention rollout: no attention Softmax over Q·Kᵀ found for each block (sidecar "tokens.attention")',
];

/** The inspection as lines for a terminal. */
export function formatInspection(r: ModelInspection): string[] {
  const lines = [
    `${r.file}: input "${r.io.input}" 1×3×${r.io.size}×${r.io.size}, class scores "${r.io.logits}" [N, ${r.classes}]`,
    r.unsupported.length === 0
      ? '  gradients: every op is covered — CAM (linear head), Grad-CAM, Grad-CAM++, LayerCAM'
      : `  gradients: not available with the default CAM layer, the differentiator lacks ` +
        `${describeUnsupported(r.unsupported)} after it; attention and CAM (linear head) only`,
    ...(r.tokens ? tokensLines(r.tokens) : []),
    `  candidate layers (${r.layers.length}, graph order; * default):`,
  ];
  for (const l of r.layers) {
    lines.push(
      `  ${r.defaults.includes(l.value) ? '*' : ' '} ${l.value}  [${l.shape.join('×')}]  ${l.node}  ` +
        `(${layerDisplayName(l.value)})`,
    );
  }
  lines.push(
    r.sidecar.exists
      ? `  sidecar: ${r.sidecar.path}`
      : `  no sidecar yet: au-lens inspect --model ${r.file} --write-sidecar`,
  );
  return lines;
}

const list = (v: string | undefined): string[] | undefined =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export const inspectCommand = defineCommand({
  name: 'inspect',
  summary: 'list the layers of an ONNX classifier trained elsewhere and write its sidecar config',
  usage: USAGE,
  flags: {
    model: 'string', size: 'string', 'write-sidecar': 'boolean', labels: 'string', layers: 'string', force: 'boolean',
    threads: 'string', json: 'boolean',
  },
  async run(f, io) {
    const model = requireFlag(f.model, 'model');
    const size = f.size === undefined ? undefined : parseIntFlag(f.size, 'size', 0);
    const threads = parseThreads(f.threads);
    // The CLI trusts the files its user names.
    const inspection = await inspectModel(model, { trusted: true, ...(size !== undefined && { size }) }, { threads });
    let written: string | undefined;
    if (f['write-sidecar']) {
      const labels = list(f.labels) ?? defaultLabels(inspection.classes);
      if (!labels) {
        throw new UsageError(`the model has ${inspection.classes} outputs: name them in output order with --labels`);
      }
      const layers = list(f.layers);
      written = await writeSidecar(inspection, sidecarFor(inspection, { labels, ...(layers && { layers }) }), f.force);
    }
    if (f.json) io.out(JSON.stringify({ ...inspection, ...(written && { written }) }));
    else {
      io.out(
        [
          ...formatInspection(inspection),
          ...(written
            ? [`  → wrote ${written}; review it, then au-lens explain --model ${model} --image FILE --out DIR`]
            : []),
        ].join('\n'),
      );
    }
  },
});
