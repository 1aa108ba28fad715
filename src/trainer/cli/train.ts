import * as os from 'node:os';
import * as path from 'node:path';
import { loadCodebook } from '../io/codebookFile';
import { LandmarkDetector } from '../io/landmarks';
import { MODEL_NAMES, checkLayers, isModelName } from '../models/presets';
import { parseExpression } from '../science/labels';
import type { Expression } from '../science/labels';
import { CheckpointError, loadCheckpoint } from '../train/checkpoint';
import { DEFAULT_FRACTIONS } from '../train/dataSplit';
import { isPretrainedModel, PRETRAINED_MODELS } from '../train/pretrained';
import { resumeDefaults } from '../train/runSettings';
import type { TrainEvent, TrainOptions } from '../train/trainRun';
import { train } from '../train/trainRun';
import type { CliIo, Command } from './command';
import { parseFlags, parseIntFlag, parseNumberFlag, requireFlag, UsageError } from './command';

export const TRAIN_DEFAULTS = { model: 'tiny64', lambda: 4, epochs: 100, batch: 32, seed: 0, lr: 0.05, fineTuneLr: 0.005, weightDecay: 5e-4, lrStep: 4, lrGamma: 0.9, momentum: 0.9 } as const;

const USAGE = `Usage: au-lens train --data DIR --out RUNDIR [flags]

Trains an expression classifier with the paper's composite loss: cross-entropy + λ · (1 − cos(layer attention,
AU heatmap)). λ = 0 trains the cross-entropy baseline. The data are split by subject into train / validation /
test (70/15/15); the model is selected on validation subjects and the test subjects are never seen.
Ctrl-C stops after the current step and saves RUNDIR/last.ckpt; --resume continues from it.

Flags:
  --data DIR          image folders per class (<DIR>/<class>/<images>)
  --out RUNDIR        run folder: manifest.json, last.ckpt, best.ckpt
  --model NAME        ${MODEL_NAMES.join(' | ')} (default: the --init model, else ${TRAIN_DEFAULTS.model})
  --init NAME|CKPT    fine-tune from a pretrained model (${PRETRAINED_MODELS.join(', ')}) or a checkpoint of the
                      same model; the classifier keeps the rows of the run's classes when it has them all,
                      else it is re-created
  --lambda X          weight of the AU alignment term (default ${TRAIN_DEFAULTS.lambda})
  --layers A,B        aligned layers (default: the last stage)
  --epochs N          (default ${TRAIN_DEFAULTS.epochs})
  --batch N           (default ${TRAIN_DEFAULTS.batch})
  --lr X              initial learning rate, SGD + Nesterov momentum 0.9 (default ${TRAIN_DEFAULTS.lr}; with --init
                      ${TRAIN_DEFAULTS.fineTuneLr}, so fine-tuning does not wash out the pretrained features)
  --weight-decay X    (default ${TRAIN_DEFAULTS.weightDecay})
  --seed N            seeds the split, the initial weights and the augmentation (default ${TRAIN_DEFAULTS.seed})
  --threads N         engine threads (default: all cores)
  --classes A,B       classes to keep, in output order (default: neutral happy surprise fear anger disgust sad)
  --codebook NAME|FILE  AU codebook preset or JSON file (default paper)
  --cache DIR         landmark cache folder
  --resume            continue the run in RUNDIR with its own settings (flags given must match them;
                      --epochs may extend the run)
  --json              JSON lines of progress instead of a progress bar`;

function parseClasses(value: string | undefined): Expression[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((name) => {
    const e = parseExpression(name);
    if (!e) throw new UsageError(`unknown class "${name}" in --classes`);
    return e;
  });
}

/**
 * On --resume, the run's settings stand in for the flags not given, so `--resume` alone continues the run as it
 * was. A missing or unreadable last.ckpt gives no defaults: train() then explains what is wrong with it.
 */
async function runDefaults(out: string | undefined, resume: boolean): Promise<Partial<TrainOptions>> {
  if (!resume || out === undefined) return {};
  try {
    return resumeDefaults(await loadCheckpoint(path.join(out, 'last.ckpt')));
  } catch (err) {
    if (err instanceof CheckpointError) return {};
    throw err;
  }
}

/** The model --init names: a pretrained model's own, or the one in the checkpoint. */
async function initModel(init: string): Promise<string> {
  if (isPretrainedModel(init)) return init;
  try {
    return (await loadCheckpoint(init)).model.preset;
  } catch (err) {
    if (err instanceof CheckpointError) throw new UsageError(`--init: ${err.message}; give a checkpoint or one of ${PRETRAINED_MODELS.join(', ')}`);
    throw err;
  }
}

function percent(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)} %`;
}

/** Human-readable progress: one line per epoch, a rewritten status line in a terminal. */
function humanReporter(io: CliIo): (e: TrainEvent) => void {
  const tty = process.stderr.isTTY;
  return (e) => {
    switch (e.type) {
      case 'data':
        io.out(`data: ${e.images} images, classes ${e.labels.join(', ')}; split by subject: train ${e.split.train}, val ${e.split.val}, test ${e.split.test}`);
        for (const w of e.warnings) io.err(`warning: ${w}`);
        break;
      case 'init':
        io.out(`init: ${e.source} (classes ${e.from.join(', ')}); classifier ${e.head === 'kept' ? 'kept' : e.head === 'selected' ? 'cut to the run\'s classes' : 're-created for the run\'s classes'}`);
        break;
      case 'prepare':
        if (tty) process.stderr.write(`\rpreparing faces and AU maps ${e.done}/${e.total}${e.done === e.total ? '\n' : ''}`);
        break;
      case 'prepared':
        io.out(`AU maps: ${e.auValid} valid, ${e.auInvalid} without (CE only); ${e.noFace} without a face; ${e.corrupt.length} unreadable skipped`);
        for (const c of e.corrupt.slice(0, 5)) io.err(`  skipped ${c.path}: ${c.reason}`);
        break;
      case 'step':
        if (tty) process.stderr.write(`\repoch ${e.epoch} ${e.batch}/${e.batches}  loss ${e.loss.toFixed(3)} (ce ${e.ce.toFixed(3)}, align ${e.align.toFixed(3)})  ${e.imagesPerSecond.toFixed(0)} img/s   `);
        break;
      case 'epoch': {
        if (tty) process.stderr.write('\r\x1b[K');
        const att = e.val ? Object.entries(e.val.attCos).map(([l, v]) => `${l} ${v === null ? '–' : v.toFixed(2)}`).join(' ') : '';
        io.out(`epoch ${e.epoch}/${e.epochs}  loss ${e.train.loss.toFixed(3)} (ce ${e.train.ce.toFixed(3)}, align ${e.train.align.toFixed(3)})  train ${percent(e.train.accuracy)}  ` +
          `val ${percent(e.val?.accuracy)}  ATT-COS ${att}  ${e.seconds.toFixed(1)} s${e.best ? '  *best' : ''}`);
        break;
      }
      case 'checkpoint':
        break;
      case 'stopped':
        io.out(e.path === null ? 'stopped before the first step; nothing was saved' : `stopped: saved ${e.path}; continue with --resume`);
        break;
    }
  };
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train an AU-guided expression classifier (ONNX Runtime, CPU)',
  usage: USAGE,
  async run(argv, io) {
    const f = parseFlags(argv, {
      data: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' }, lambda: { type: 'string' }, layers: { type: 'string' },
      epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, 'weight-decay': { type: 'string' }, seed: { type: 'string' },
      threads: { type: 'string' }, classes: { type: 'string' }, codebook: { type: 'string' }, cache: { type: 'string' }, init: { type: 'string' },
      resume: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
    });
    const d = await runDefaults(f.out, f.resume);
    if (f.init !== undefined && f.resume) throw new UsageError('--init starts a new run; a resumed run continues from its own last.ckpt');
    const preset = f.model ?? d.preset ?? (f.init === undefined ? TRAIN_DEFAULTS.model : await initModel(f.init));
    if (!isModelName(preset)) throw new UsageError(`unknown --model "${preset}"; use one of ${MODEL_NAMES.join(', ')}`);
    const layers = f.layers?.split(',').map((l) => l.trim());
    try {
      if (layers) checkLayers(preset, layers);
    } catch (err) {
      throw new UsageError(`--layers: ${(err as Error).message}`);
    }
    const classes = parseClasses(f.classes);
    const options: TrainOptions = {
      data: requireFlag(f.data, 'data'),
      out: requireFlag(f.out, 'out'),
      preset,
      ...(f.init !== undefined && { init: f.init }),
      lambda: parseNumberFlag(f.lambda, 'lambda', d.lambda ?? TRAIN_DEFAULTS.lambda),
      ...((layers ?? d.layers) !== undefined && { layers: layers ?? d.layers }),
      epochs: parseIntFlag(f.epochs, 'epochs', d.epochs ?? TRAIN_DEFAULTS.epochs),
      batch: parseIntFlag(f.batch, 'batch', d.batch ?? TRAIN_DEFAULTS.batch),
      seed: parseIntFlag(f.seed, 'seed', d.seed ?? TRAIN_DEFAULTS.seed),
      threads: parseIntFlag(f.threads, 'threads', os.availableParallelism()),
      lr: parseNumberFlag(f.lr, 'lr', d.lr ?? (f.init === undefined ? TRAIN_DEFAULTS.lr : TRAIN_DEFAULTS.fineTuneLr)),
      weightDecay: parseNumberFlag(f['weight-decay'], 'weight-decay', d.weightDecay ?? TRAIN_DEFAULTS.weightDecay),
      lrStepEpochs: d.lrStepEpochs ?? TRAIN_DEFAULTS.lrStep,
      lrGamma: d.lrGamma ?? TRAIN_DEFAULTS.lrGamma,
      momentum: d.momentum ?? TRAIN_DEFAULTS.momentum,
      codebook: f.codebook === undefined && d.codebook ? d.codebook : await loadCodebook(f.codebook),
      ...((classes ?? d.classes) !== undefined && { classes: classes ?? d.classes }),
      fractions: d.fractions ?? DEFAULT_FRACTIONS,
      ...(d.subjectPattern !== undefined && { subjectPattern: d.subjectPattern }),
      ...(f.cache !== undefined && { cacheDir: f.cache }),
      resume: f.resume,
    };
    if (options.batch < 2) throw new UsageError('--batch must be at least 2 (BatchNorm needs more than one sample)');
    if (options.epochs < 1) throw new UsageError('--epochs must be at least 1');
    if (options.lr <= 0) throw new UsageError('--lr must be positive');

    const abort = new AbortController();
    const onSigint = (): void => {
      if (abort.signal.aborted) process.exit(130);
      io.err('stopping after the current step (Ctrl-C again to quit at once)…');
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const onEvent = f.json ? (e: TrainEvent): void => io.out(JSON.stringify(e)) : humanReporter(io);
      const outcome = await train(options, { onEvent, signal: abort.signal, detector: await LandmarkDetector.create() });
      if (f.json) io.out(JSON.stringify({ type: 'done', ...outcome }));
      else io.out(`${outcome.status}: last ${outcome.last ?? 'none'}${outcome.best ? `, best ${outcome.best} (epoch ${outcome.bestEpoch})` : ''}`);
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
