import { evaluateCheckpoint } from '../eval/evaluateCheckpoint';
import { formatEvalReport } from '../eval/formatReport';
import type { FaithfulnessEvalOptions } from '../eval/types';
import { writeFileAtomic } from '../io/atomicFile';
import { LandmarkDetector } from '../io/landmarks';
import type { CamMethodName } from '../science/camMethods';
import { CAM_METHOD_NAMES, isCamMethodName } from '../science/camMethods';
import type { SplitName } from '../science/split';
import { SPLIT_NAMES } from '../science/split';
import { CheckpointMismatchError } from '../train/checkpoint';
import { isPretrainedModel, PRETRAINED_MODELS } from '../train/pretrained';
import { defineCommand, parseIntFlag, parseThreads, requireFlag, UsageError } from './command';

const USAGE = `Usage: au-lens eval --checkpoint CKPT | --model NAME --data DIR|FILE.csv [flags]

Evaluates a checkpoint or a pretrained model: accuracy, balanced accuracy, confusion matrix, ATT-COS of every
layer, CAM-COS of CAM, Grad-CAM, Grad-CAM++ and LayerCAM (for the true class, as the paper), and localisation
against the AU maps, per class and averaged over the six non-neutral classes. Data without some of the model's
classes (CK+48 has no neutral) is scored over the classes it has: argmax over their outputs only.

Flags:
  --checkpoint CKPT   a checkpoint written by au-lens train
  --model NAME|FILE   a pretrained model instead: ${PRETRAINED_MODELS.join(', ')}; or an ONNX model: one written
                      by au-lens export, or one trained elsewhere with its sidecar (au-lens inspect)
  --data DIR|FILE     the dataset, in any layout au-lens train reads (RAF-DB, FER2013, FERPlus, AffectNet, a CSV
                      manifest, image folders per class)
  --split NAME        train | val | test | all (default: test on the run's own data — its official test part, or
                      the subjects it held out; elsewhere the data's official test part when it has one, else all)
  --methods A,B       CAM methods (default: ${CAM_METHOD_NAMES.join(',')}; "none" for none)
  --batch N           (default 32)
  --threads N         (default: all cores)
  --cache DIR         landmark cache folder
  --json FILE         also write the full report, and one record per image, as JSON
  --faithfulness      also measure whether the true class's probability depends on the AUs (AU occlusion)
                      and on what each map ranks first (deletion/insertion, ROAD) for the CAM layer's
                      attention, each CAM, the AU map and a random map, with the model-randomisation sanity
                      check (docs/faithfulness.md); many forward passes per image
  --faithfulness-metrics LIST  occlusion,deletion,road,sanity (default: all four)`;

const FAITHFULNESS_METRICS = ['occlusion', 'deletion', 'road', 'sanity'] as const;

function parseFaithfulness(on: boolean, list: string | undefined): FaithfulnessEvalOptions | undefined {
  if (!on) {
    if (list !== undefined) throw new UsageError('--faithfulness-metrics needs --faithfulness');
    return undefined;
  }
  const metrics = list === undefined ? [...FAITHFULNESS_METRICS] : list.split(',');
  const bad = metrics.find((m) => !(FAITHFULNESS_METRICS as readonly string[]).includes(m));
  if (bad !== undefined || metrics.length === 0) {
    throw new UsageError(`unknown faithfulness metric "${bad ?? ''}"; use ${FAITHFULNESS_METRICS.join(', ')}`);
  }
  const has = (m: string): boolean => metrics.includes(m);
  return {
    settings: { occlusion: has('occlusion'), deletion: has('deletion'), road: has('road') },
    sanity: has('sanity'),
  };
}

function parseMethods(value: string | undefined): CamMethodName[] | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return [];
  return value.split(',').map((m) => {
    if (!isCamMethodName(m)) throw new UsageError(`unknown CAM method "${m}"; use ${CAM_METHOD_NAMES.join(', ')}`);
    return m;
  });
}

export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'evaluate a checkpoint: accuracy, ATT-COS, CAM-COS, AU localisation (and --faithfulness)',
  usage: USAGE,
  flags: {
    checkpoint: 'string', model: 'string', data: 'string', split: 'string', methods: 'string', batch: 'string',
    threads: 'string', cache: 'string', json: 'string', faithfulness: 'boolean', 'faithfulness-metrics': 'string',
  },
  async run(f, io) {
    const split = f.split;
    if (split !== undefined && split !== 'all' && !(SPLIT_NAMES as readonly string[]).includes(split)) {
      throw new UsageError(`--split must be train, val, test or all, got "${split}"`);
    }
    const methods = parseMethods(f.methods);
    const faithfulness = parseFaithfulness(f.faithfulness, f['faithfulness-metrics']);
    if (f.checkpoint !== undefined && f.model !== undefined) {
      throw new UsageError('give --checkpoint or --model, not both');
    }
    if (f.model !== undefined && !isPretrainedModel(f.model) && !f.model.toLowerCase().endsWith('.onnx')) {
      throw new UsageError(
        `unknown --model "${f.model}"; use one of ${PRETRAINED_MODELS.join(', ')}, an ONNX model (model.onnx), or ` +
          `--checkpoint for a checkpoint file`,
      );
    }
    const checkpoint = f.model ?? requireFlag(f.checkpoint, 'checkpoint');
    const options = {
      checkpoint,
      // The user ran the command on files of their choosing: the CLI trusts them.
      trusted: true,
      data: requireFlag(f.data, 'data'),
      ...(split !== undefined && { split: split as SplitName | 'all' }),
      batch: parseIntFlag(f.batch, 'batch', 32),
      threads: parseThreads(f.threads),
      ...(methods !== undefined && { methods }),
      ...(f.cache !== undefined && { cacheDir: f.cache }),
      ...(faithfulness !== undefined && { faithfulness }),
    };
    if (options.batch < 1) throw new UsageError('--batch must be at least 1');
    const result = await evaluateCheckpoint(options, { detector: await LandmarkDetector.create() }).catch(
      (err: unknown) => {
        // The mismatch message names a tensor, not the file; the user needs to know which file is broken.
        if (err instanceof CheckpointMismatchError) {
          throw new Error(
            `${checkpoint}: the checkpoint does not fit the model it describes (${err.message}); it was altered or ` +
              `written by an incompatible AU Lens`,
            { cause: err },
          );
        }
        throw err;
      },
    );
    for (const w of result.warnings) io.err(`warning: ${w}`);
    for (const s of result.skipped) io.err(`skipped ${s.path}: ${s.reason}`);
    io.out(`${result.checkpoint} on ${result.data} (${result.split} split)`);
    io.out(formatEvalReport(result.report));
    if (f.json) await writeFileAtomic(f.json, `${JSON.stringify(result, null, 2)}\n`);
  },
});
