import { CAM_METHODS } from '../cam';
import { Explainer } from '../explain/explainImage';
import type { ExplanationReport } from '../explain/explanation';
import { ExplainRequestError } from '../explain/explanation';
import type { FaithfulnessRequest } from '../explain/explanationFaithfulness';
import { formatFaithfulness } from '../explain/formatFaithfulness';
import { writeExplanation } from '../explain/renderExplanation';
import { LandmarkDetector } from '../io/landmarks';
import { DEFAULT_MODEL, PRETRAINED_MODELS } from '../train/pretrained';
import { defineCommand, parseIntFlag, parseThreads, requireFlag, UsageError } from './command';

const USAGE = `Usage: au-lens explain [--model NAME|CKPT|MODEL.onnx] [--sidecar FILE] --image FILE --out DIR [flags]

Explains one face: the class scores, each layer's attention and the CAMs (CAM, Grad-CAM, Grad-CAM++,
LayerCAM) of the predicted class (or --class), with ATT-COS, CAM-COS, AU localisation and the share of each
map's energy on each Action Unit of that class; then whether the class score depends on those AUs (AU
occlusion) and on what each map ranks first (deletion/insertion curves, ROAD, the model-randomisation sanity
check; docs/faithfulness.md). Writes DIR/report.json, one PNG per map over the face crop and DIR/sheet.png
with all of them.

An ONNX model written by au-lens export gives attention and CAM only: the gradient CAMs need the checkpoint.
An ONNX classifier trained elsewhere needs a sidecar config (MODEL.au-lens.json beside it, or --sidecar):
au-lens inspect --model MODEL.onnx --write-sidecar writes one.

Flags:
  --model NAME|FILE   a pretrained model (${PRETRAINED_MODELS.join(', ')}), an AU Lens checkpoint or a model
                      written by au-lens export (default ${DEFAULT_MODEL}: face-api's expression network, MIT)
                      or an ONNX classifier trained elsewhere with its sidecar
  --sidecar FILE      the sidecar config of an ONNX model trained elsewhere (default: MODEL.au-lens.json)
  --image FILE        JPEG, PNG, TIFF, WebP or GIF
  --out DIR           output folder (created if needed)
  --face N            face to explain (0 = the most confident; default: the most confident)
  --class NAME        expression to explain (default: the predicted class)
  --faithfulness M    fast: AU occlusion and deletion/insertion curves (default, about a second);
                      all: also ROAD and the sanity check (seconds: ROAD imputes 18 images per map);
                      none
  --threads N         engine threads (default: all cores)
  --cache DIR         landmark cache folder (default: ~/.cache/au-lens/landmarks)
  --max-pixels N      refuse larger images (default 100000000)
  --json              print the report as JSON`;

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(2));

const FAITHFULNESS_MODES = ['fast', 'all', 'none'] as const;

/** --faithfulness: what to compute, or null for nothing. */
function parseFaithfulness(value: string | undefined): FaithfulnessRequest | null {
  const mode = value ?? 'fast';
  if (!(FAITHFULNESS_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`--faithfulness must be fast, all or none, got "${mode}"`);
  }
  if (mode === 'none') return null;
  const all = mode === 'all';
  return { settings: { occlusion: true, deletion: true, road: all }, sanity: all };
}

/** The report as lines for a terminal. */
export function formatExplanation(r: ExplanationReport): string[] {
  const lines = [r.reading, `  scores: ${Object.entries(r.scores).map(([c, p]) => `${c} ${fmt(p)}`).join('  ')}`];
  lines.push(`  ATT-COS: ${Object.entries(r.attCos).map(([l, v]) => `${l} ${fmt(v)}`).join('  ')}`);
  lines.push(
    `  CAM-COS (${r.explained.class}): ${Object.entries(r.camCos)
      .map(([m, v]) => `${CAM_METHODS[m as keyof typeof CAM_METHODS].title} ${fmt(v)}`)
      .join('  ')}`,
  );
  if (r.cosineNote) lines.push(`  ${r.cosineNote}`);
  if (r.faithfulness) lines.push(...formatFaithfulness(r.faithfulness));
  if (r.methods.unavailable.length > 0) {
    lines.push(
      `  not computed: ${r.methods.unavailable.map((u) => CAM_METHODS[u.method].title).join(', ')} ` +
        `(${r.methods.unavailable[0]!.reason})`,
    );
  }
  return lines;
}

export const explainCommand = defineCommand({
  name: 'explain',
  summary: 'explain one face: scores, attention, CAMs and their alignment with the AUs (JSON + PNGs)',
  usage: USAGE,
  flags: {
    model: 'string', sidecar: 'string', image: 'string', out: 'string', face: 'string', class: 'string',
    threads: 'string', cache: 'string', 'max-pixels': 'string', faithfulness: 'string', json: 'boolean',
  },
  async run(f, io) {
    const request = {
      ...(f.model !== undefined && { model: f.model }),
      ...(f.sidecar !== undefined && { sidecar: f.sidecar }),
      image: requireFlag(f.image, 'image'),
      // The user ran the command on files of their choosing: the CLI trusts them.
      trusted: true,
      ...(f.face !== undefined && { face: parseIntFlag(f.face, 'face', 0) }),
      ...(f.class !== undefined && { className: f.class }),
    };
    const out = requireFlag(f.out, 'out');
    const faithfulness = parseFaithfulness(f.faithfulness);
    const explainer = new Explainer({
      landmarker: () => LandmarkDetector.create(),
      threads: parseThreads(f.threads),
      ...(f.cache !== undefined && { landmarkCache: f.cache }),
      ...(f['max-pixels'] !== undefined && { maxPixels: parseIntFlag(f['max-pixels'], 'max-pixels', 0) }),
    });
    try {
      const explained = await explainer.explain(request);
      const explanation = faithfulness === null ? explained : {
        ...explained,
        report: {
          ...explained.report,
          faithfulness: await explainer.faithfulness(explained, faithfulness, { trusted: true,
            ...(request.sidecar !== undefined && { sidecar: request.sidecar }) }),
        },
      };
      const written = await writeExplanation(explanation, out);
      if (f.json) io.out(JSON.stringify({ ...explanation.report, out: written }));
      else {
        io.out(
          [
            ...formatExplanation(explanation.report),
            `  → ${written.report}, ${written.sheet} and ${written.maps.length} map PNGs`,
          ].join('\n'),
        );
      }
    } catch (error) {
      if (error instanceof ExplainRequestError) throw new UsageError(error.message);
      throw error;
    } finally {
      await explainer.release();
    }
  },
});
