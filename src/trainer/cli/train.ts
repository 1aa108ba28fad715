import * as os from 'node:os';
import * as path from 'node:path';
import { formatDuration } from '../io/progressMeter';
import { LandmarkDetector } from '../io/landmarks';
import { MODEL_NAMES } from '../models/modelNames';
import type { HeadAdaptation } from '../train/initWeights';
import type { TrainEvent, TrainOptions } from '../train/options';
import { PRETRAINED_MODELS } from '../train/pretrained';
import { RECIPE_NAMES } from '../train/recipes';
import { TRAIN_DEFAULTS } from '../train/trainDefaults';
import type { TrainRequest, TrainRequestField } from '../train/trainRequest';
import { resolveTrainOptions, TrainRequestError } from '../train/trainRequest';
import { train } from '../train/trainRun';
import type { CliIo } from './command';
import { defineCommand, parseIntFlag, parseNumberFlag, requireFlag, UsageError } from './command';

/** The flag that sets each field of a request, for messages. */
const FLAGS: Partial<Record<TrainRequestField, string>> = {
  preset: 'model',
  weightDecay: 'weight-decay',
  cacheDir: 'cache',
  subjectPattern: 'subject-pattern',
  classWeights: 'class-weights',
};
const flagLabel = (field: TrainRequestField): string => `--${FLAGS[field] ?? field}`;

const USAGE = `Usage: au-lens train --data DIR|FILE.csv --out RUNDIR [flags]

Trains an expression classifier with the paper's composite loss: cross-entropy + λ · (1 − cos(layer attention,
AU heatmap)). λ = 0 trains the cross-entropy baseline. A dataset with an official split (RAF-DB, FER2013, FERPlus,
AffectNet, a CSV manifest with a split column) keeps it: validation is carved from its training part and its
test part is never read. Other data are split by subject into train / validation / test (70/15/15). The model is
selected on validation, never on test. Ctrl-C stops after the current step and saves RUNDIR/last.ckpt; --resume
continues from it. One training per RUNDIR at a time: RUNDIR/run.lock names it, and a second one is refused.

Flags:
  --data DIR|FILE     the dataset, its layout recognised: RAF-DB basic (EmoLabel/ + Image/aligned or
                      Image/original with Annotation/boundingbox), FER2013 or FERPlus (fer2013.csv,
                      fer2013new.csv), AffectNet (training.csv/validation.csv, or train_set|val_set/annotations),
                      a CSV manifest (path,label[,subject][,split]), or image folders per class (<DIR>/<class>/)
  --out RUNDIR        run folder: manifest.json, last.ckpt, best.ckpt
  --recipe NAME       ${RECIPE_NAMES.join(' | ')}: the reference's settings (ResNet-50 at 224 px, SGD lr 0.002,
                      Nesterov momentum 0.9, weight decay 5e-4, lr × 0.9 every 4 epochs, 20 epochs, batch 8 here
                      instead of 224; λ 4 for RAF-DB, inferred, λ 9 for AffectNet); flags given override them.
                      ImageNet weights are yours to give: --init FILE.onnx exported from torchvision
  --model NAME        ${MODEL_NAMES.join(' | ')} (default: the --init model, else ${TRAIN_DEFAULTS.model})
  --init NAME|CKPT|FILE.onnx
                      fine-tune from a pretrained model (${PRETRAINED_MODELS.join(', ')}), a checkpoint of the
                      same model, or ImageNet weights exported from timm or torchvision with torch.onnx.export
                      (with --model; ResNets exported with training=torch.onnx.TrainingMode.TRAINING); the
                      classifier keeps the rows of the run's classes when it has them all, else it is re-created
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
  --subject-pattern REGEX  finds the subject in an image's path (inside its class folder for image folders,
                      else relative to the dataset; first capture group), so one person's images stay in one
                      split (default: the CK+ prefix (?:^|/)(S\\d{3})_ for image folders; elsewhere each image
                      is its own subject unless the data names subjects)
  --split MODE        official | subjects (default: official where the data has one, else subjects)
  --class-weights W   none | inverse | FILE: weights of the cross-entropy per class (default none, as the
                      paper); inverse = n / (classes · n_class) over the training split; FILE = JSON such as
                      {"neutral": 1, "happy": 0.5, "fear": 4}, one weight > 0 for each class of the run
  --codebook NAME|FILE  AU codebook preset or JSON file (default paper)
  --cache DIR         landmark cache folder
  --resume            continue the run in RUNDIR with its own settings (flags given must match them;
                      --epochs may extend the run)
  --json              JSON lines of progress instead of a progress bar`;

function percent(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)} %`;
}

/** How a fine-tuned run's classifier met its classes (TrainEvent 'init'), in the progress line's words. */
const HEAD_WORDS: Readonly<Record<HeadAdaptation, string>> = {
  kept: 'kept',
  selected: "cut to the run's classes",
  recreated: "re-created for the run's classes",
};

const SPLIT_WORDS = { official: 'official split (test part held out)', subjects: 'split by subject' };

/** Human-readable progress: one line per epoch, a rewritten status line in a terminal. */
function humanReporter(io: CliIo): (e: TrainEvent) => void {
  const tty = process.stderr.isTTY;
  return (e) => {
    switch (e.type) {
      case 'data':
        io.out(
          `data: ${e.images} images read as ${e.layout}, classes ${e.labels.join(', ')}; ` +
            `${SPLIT_WORDS[e.splitMode]}: train ${e.split.train}, val ${e.split.val}, test ${e.split.test}`,
        );
        if (e.skipped > 0) io.err(`skipped ${e.skipped} sample(s); the run's manifest.json says why`);
        for (const w of e.warnings) io.err(`warning: ${w}`);
        break;
      case 'init':
        io.out(
          e.from.length === 0
            ? `init: ${e.source} (weights mapped by name; its classifier left out); classifier ${HEAD_WORDS[e.head]}`
            : `init: ${e.source} (classes ${e.from.join(', ')}); classifier ${HEAD_WORDS[e.head]}`,
        );
        break;
      case 'prepare':
        if (tty) {
          const eta = e.etaSeconds !== null && e.done < e.total ? `, ${formatDuration(e.etaSeconds)} left` : '';
          const what = e.phase === 'landmarks' ? 'finding faces' : 'preparing faces and AU maps';
          process.stderr.write(`\r${what} (${e.set}) ${e.done}/${e.total}${eta}   ${e.done === e.total ? '\n' : ''}`);
        }
        break;
      case 'device':
        io.out(`device: ${e.label}`);
        break;
      case 'prepared':
        io.out(
          `AU maps: ${e.auValid} valid, ${e.auInvalid} without (CE only); ${e.noFace} without a face; ` +
            `${e.corrupt.length} unreadable skipped`,
        );
        for (const c of e.corrupt.slice(0, 5)) io.err(`  skipped ${c.path}: ${c.reason}`);
        io.out(`prepared samples: ${e.cache.decoded} prepared now, cache ${(e.cache.bytes / 1e6).toFixed(0)} MB in ` +
          `${path.dirname(e.cache.dirs[0]!)}`);
        break;
      case 'step':
        if (tty) {
          process.stderr.write(
            `\repoch ${e.epoch} ${e.batch}/${e.batches}  loss ${e.loss.toFixed(3)} (ce ${e.ce.toFixed(3)}, align ` +
              `${e.align.toFixed(3)})  ${e.imagesPerSecond.toFixed(0)} img/s   `,
          );
        }
        break;
      case 'epoch': {
        if (tty) process.stderr.write('\r\x1b[K');
        const att = e.val
          ? Object.entries(e.val.attCos)
              .map(([l, v]) => `${l} ${v === null ? '–' : v.toFixed(2)}`)
              .join(' ')
          : '';
        io.out(
          `epoch ${e.epoch}/${e.epochs}  loss ${e.train.loss.toFixed(3)} (ce ${e.train.ce.toFixed(3)}, align ` +
            `${e.train.align.toFixed(3)})  train ${percent(e.train.accuracy)}  ` +
            `val ${percent(e.val?.accuracy)}  ATT-COS ${att}  ${e.seconds.toFixed(1)} s${e.best ? '  *best' : ''}`,
        );
        break;
      }
      case 'checkpoint':
        break;
      case 'note':
        io.err(`note: ${e.message}`);
        break;
      case 'stopped':
        io.out(
          e.path === null
            ? 'stopped before the first step; nothing was saved'
            : `stopped: saved ${e.path}; continue with --resume`,
        );
        break;
    }
  };
}

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train an AU-guided expression classifier (ONNX Runtime, CPU)',
  usage: USAGE,
  flags: {
    data: 'string', out: 'string', model: 'string', lambda: 'string', layers: 'string', epochs: 'string',
    batch: 'string', lr: 'string', 'weight-decay': 'string', seed: 'string', threads: 'string', classes: 'string',
    codebook: 'string', cache: 'string', init: 'string', 'subject-pattern': 'string', split: 'string',
    'class-weights': 'string', recipe: 'string', resume: 'boolean', json: 'boolean',
  },
  async run(f, io) {
    const request: TrainRequest = {
      data: requireFlag(f.data, 'data'),
      out: requireFlag(f.out, 'out'),
      ...(f.model !== undefined && { preset: f.model }),
      ...(f.init !== undefined && { init: f.init }),
      ...(f.lambda !== undefined && { lambda: parseNumberFlag(f.lambda, 'lambda', 0) }),
      ...(f.layers !== undefined && { layers: f.layers.split(',').map((l) => l.trim()) }),
      ...(f.epochs !== undefined && { epochs: parseIntFlag(f.epochs, 'epochs', 0) }),
      ...(f.batch !== undefined && { batch: parseIntFlag(f.batch, 'batch', 0) }),
      ...(f.seed !== undefined && { seed: parseIntFlag(f.seed, 'seed', 0) }),
      ...(f.threads !== undefined && { threads: parseIntFlag(f.threads, 'threads', 0) }),
      ...(f.lr !== undefined && { lr: parseNumberFlag(f.lr, 'lr', 0) }),
      ...(f['weight-decay'] !== undefined && { weightDecay: parseNumberFlag(f['weight-decay'], 'weight-decay', 0) }),
      ...(f.classes !== undefined && { classes: f.classes.split(',') }),
      ...(f['subject-pattern'] !== undefined && { subjectPattern: f['subject-pattern'] }),
      ...(f.split !== undefined && { split: f.split }),
      ...(f['class-weights'] !== undefined && { classWeights: f['class-weights'] }),
      ...(f.recipe !== undefined && { recipe: f.recipe }),
      ...(f.codebook !== undefined && { codebook: f.codebook }),
      ...(f.cache !== undefined && { cacheDir: f.cache }),
      resume: f.resume,
    };
    let options: TrainOptions;
    try {
      options = await resolveTrainOptions(request, { label: flagLabel, defaultThreads: os.availableParallelism() });
    } catch (err) {
      if (err instanceof TrainRequestError) throw new UsageError(err.message);
      throw err;
    }

    const abort = new AbortController();
    const onSigint = (): void => {
      if (abort.signal.aborted) process.exit(130);
      io.err('stopping after the current step (Ctrl-C again to quit at once)…');
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const onEvent = f.json ? (e: TrainEvent): void => io.out(JSON.stringify(e)) : humanReporter(io);
      const outcome = await train(options, {
        onEvent,
        signal: abort.signal,
        detector: await LandmarkDetector.create(),
      });
      if (f.json) io.out(JSON.stringify({ type: 'done', ...outcome }));
      else {
        io.out(
          `${outcome.status}: last ` +
            `${outcome.last ?? 'none'}${outcome.best ? `, best ${outcome.best} (epoch ${outcome.bestEpoch})` : ''}`,
        );
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
});
