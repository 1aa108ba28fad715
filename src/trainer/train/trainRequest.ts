/**
 * From what a user asks for to the TrainOptions a run needs: the defaults, the run's own settings on resume, and
 * the checks that name the setting at fault. The CLI (flags), the editor's worker (quick picks, run-config files)
 * and the run log share it, so a run started from either place is the same run.
 */
import * as path from 'node:path';
import { loadClassWeights } from '../io/classWeightsFile';
import { loadCodebook } from '../io/codebookFile';
import { DatasetError } from '../io/dataset';
import { isModelName, MODEL_NAMES, PRESET_NAMES, VIT_NAMES } from '../models/modelNames';
import { checkLayers } from '../models/presets';
import type { ClassWeightsSpec } from '../science/classWeights';
import { ClassWeightsError } from '../science/classWeights';
import type { Expression } from '../science/labels';
import { parseExpression } from '../science/labels';
import type { SplitMode } from '../science/split';
import { SPLIT_MODES } from '../science/split';
import { CheckpointError, loadCheckpoint } from './checkpoint';
import { DEFAULT_FRACTIONS } from './dataSplit';
import type { TrainOptions } from './options';
import { isOnnxInit } from './onnxInit';
import { isPretrainedModel, PRETRAINED_MODELS } from './pretrained';
import type { RecipeValues } from './recipes';
import { isRecipeName, RECIPE_NAMES, RECIPES } from './recipes';
import { resumeDefaults } from './runSettings';
import { TRAIN_DEFAULTS } from './trainDefaults';

/** A run as a user asks for it: only the data and the run folder are required; the rest has defaults. */
export interface TrainRequest {
  /** A dataset folder in any layout readDataset knows, or a CSV manifest. */
  readonly data: string;
  /** The run folder. */
  readonly out: string;
  /** Settings of a known recipe (train/recipes.ts) under the ones given here. */
  readonly recipe?: string;
  readonly preset?: string;
  /** Fine-tune from a pretrained model's name or a checkpoint file. */
  readonly init?: string;
  readonly lambda?: number;
  readonly layers?: readonly string[];
  readonly epochs?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly weightDecay?: number;
  readonly seed?: number;
  readonly threads?: number;
  readonly classes?: readonly string[];
  /**
   * Finds each image's subject in its path inside the class folder (first capture group, else the whole match), so
   * a subject's images stay in one split. Default: the CK+ `S###_` file-name prefix.
   */
  readonly subjectPattern?: string;
  /** 'official' (the dataset's own train / test parts) or 'subjects'; default official where the data has one. */
  readonly split?: string;
  /** 'none', 'inverse' (inverse class frequency in the training split) or a JSON file {class: weight}. */
  readonly classWeights?: string;
  /** A codebook preset name or the path of a codebook JSON file. */
  readonly codebook?: string;
  readonly cacheDir?: string;
  readonly resume?: boolean;
}

export type TrainRequestField = keyof TrainRequest;

/** A setting a run cannot use; `field` names it so each front end can say it its own way (flag, JSON key). */
export class TrainRequestError extends Error {
  override readonly name = 'TrainRequestError';

  constructor(readonly field: TrainRequestField | undefined, message: string) {
    super(message);
  }
}

export interface ResolveOptions {
  /** How the front end names a setting in messages: `--model` on the command line, `"preset"` in a config file. */
  readonly label: (field: TrainRequestField) => string;
  /** Engine threads when the request gives none. */
  readonly defaultThreads: number;
}

/**
 * On resume, the run's settings stand in for those not given, so a bare resume continues the run as it was. A
 * missing or unreadable last.ckpt gives no defaults: train() then explains what is wrong with it.
 */
async function runDefaults(request: TrainRequest): Promise<Partial<TrainOptions>> {
  if (!request.resume) return {};
  try {
    return resumeDefaults(await loadCheckpoint(path.join(request.out, 'last.ckpt')));
  } catch (err) {
    if (err instanceof CheckpointError) return {};
    throw err;
  }
}

/** The model `init` names: a pretrained model's own, or the one in the checkpoint. */
async function initModel(init: string, label: ResolveOptions['label']): Promise<string> {
  if (isPretrainedModel(init)) return init;
  if (isOnnxInit(init)) {
    throw new TrainRequestError(
      'preset',
      `${label('init')} ${init} gives weights, not a model: choose the model they are mapped onto with ` +
        `${label('preset')} (${[...PRESET_NAMES, ...VIT_NAMES].join(', ')})`,
    );
  }
  try {
    return (await loadCheckpoint(init)).model.preset;
  } catch (err) {
    if (err instanceof CheckpointError) {
      throw new TrainRequestError(
        'init',
        `${label('init')}: ${err.message}; give a checkpoint or one of ${PRETRAINED_MODELS.join(', ')}`,
      );
    }
    throw err;
  }
}

function parseClasses(names: readonly string[] | undefined, label: ResolveOptions['label']): Expression[] | undefined {
  return names?.map((name) => {
    const e = parseExpression(name);
    if (!e) throw new TrainRequestError('classes', `unknown class "${name}" in ${label('classes')}`);
    return e;
  });
}

function checkSubjectPattern(pattern: string | undefined, label: ResolveOptions['label']): void {
  if (pattern === undefined) return;
  try {
    new RegExp(pattern);
  } catch (err) {
    throw new TrainRequestError('subjectPattern',
      `${label('subjectPattern')} is not a valid regular expression (${(err as Error).message})`);
  }
}

function parseSplit(value: string | undefined, label: ResolveOptions['label']): SplitMode | undefined {
  if (value === undefined || (SPLIT_MODES as readonly string[]).includes(value)) return value as SplitMode | undefined;
  throw new TrainRequestError('split', `${label('split')} must be ${SPLIT_MODES.join(' or ')}, got "${value}"`);
}

function recipeValues(name: string | undefined, label: ResolveOptions['label']): RecipeValues {
  if (name === undefined) return {};
  if (!isRecipeName(name)) {
    throw new TrainRequestError('recipe',
      `unknown ${label('recipe')} "${name}"; use one of ${RECIPE_NAMES.join(', ')}`);
  }
  return RECIPES[name];
}

async function classWeightsOf(value: string | undefined, label: ResolveOptions['label']):
  Promise<ClassWeightsSpec | undefined> {
  if (value === undefined) return undefined;
  try {
    return await loadClassWeights(value);
  } catch (err) {
    if (!(err instanceof ClassWeightsError || err instanceof DatasetError)) throw err;
    throw new TrainRequestError('classWeights', `${label('classWeights')}: ${err.message}`);
  }
}

function checkRanges(options: TrainOptions, label: ResolveOptions['label']): void {
  if (options.batch < 2) {
    throw new TrainRequestError('batch', `${label('batch')} must be at least 2 (BatchNorm needs more than one sample)`);
  }
  if (options.epochs < 1) throw new TrainRequestError('epochs', `${label('epochs')} must be at least 1`);
  if (options.lr <= 0) throw new TrainRequestError('lr', `${label('lr')} must be positive`);
  if (options.lambda < 0) throw new TrainRequestError('lambda', `${label('lambda')} must not be negative`);
}

/** The options of the run `request` asks for, with defaults (the run's own on resume); throws TrainRequestError. */
export async function resolveTrainOptions(
  request: TrainRequest,
  { label, defaultThreads }: ResolveOptions,
): Promise<TrainOptions> {
  if (request.data === '') throw new TrainRequestError('data', `${label('data')} is empty; give the data folder`);
  if (request.out === '') throw new TrainRequestError('out', `${label('out')} is empty; give the run folder`);
  if (request.init !== undefined && request.resume) {
    throw new TrainRequestError(
      'init',
      `${label('init')} starts a new run; a resumed run continues from its own last.ckpt`,
    );
  }
  const r = recipeValues(request.recipe, label);
  const d = await runDefaults(request);
  const preset =
    request.preset ??
    r.preset ??
    d.preset ??
    (request.init === undefined ? TRAIN_DEFAULTS.model : await initModel(request.init, label));
  if (!isModelName(preset)) {
    throw new TrainRequestError(
      'preset',
      `unknown ${label('preset')} "${preset}"; use one of ${MODEL_NAMES.join(', ')}`,
    );
  }
  try {
    if (request.layers) checkLayers(preset, request.layers);
  } catch (err) {
    throw new TrainRequestError('layers', `${label('layers')}: ${(err as Error).message}`);
  }
  const classes = parseClasses(request.classes, label) ?? d.classes;
  checkSubjectPattern(request.subjectPattern, label);
  const subjectPattern = request.subjectPattern ?? d.subjectPattern;
  const split = parseSplit(request.split, label) ?? d.split;
  const classWeights = (await classWeightsOf(request.classWeights, label)) ?? d.classWeights;
  const layers = request.layers ?? d.layers;
  // A bad codebook throws CodebookError, whose message already names the file and what is wrong with it.
  const codebook = request.codebook === undefined && d.codebook ? d.codebook : await loadCodebook(request.codebook);
  const options: TrainOptions = {
    data: request.data,
    out: request.out,
    preset,
    ...(request.init !== undefined && { init: request.init }),
    ...(request.recipe !== undefined && { recipe: request.recipe }),
    lambda: request.lambda ?? r.lambda ?? d.lambda ?? TRAIN_DEFAULTS.lambda,
    ...(layers !== undefined && { layers }),
    epochs: request.epochs ?? r.epochs ?? d.epochs ?? TRAIN_DEFAULTS.epochs,
    batch: request.batch ?? r.batch ?? d.batch ?? TRAIN_DEFAULTS.batch,
    seed: request.seed ?? d.seed ?? TRAIN_DEFAULTS.seed,
    threads: request.threads ?? defaultThreads,
    lr: request.lr ?? r.lr ?? d.lr ?? (request.init === undefined ? TRAIN_DEFAULTS.lr : TRAIN_DEFAULTS.fineTuneLr),
    weightDecay: request.weightDecay ?? r.weightDecay ?? d.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
    lrStepEpochs: r.lrStepEpochs ?? d.lrStepEpochs ?? TRAIN_DEFAULTS.lrStep,
    lrGamma: r.lrGamma ?? d.lrGamma ?? TRAIN_DEFAULTS.lrGamma,
    momentum: r.momentum ?? d.momentum ?? TRAIN_DEFAULTS.momentum,
    codebook,
    ...(classes !== undefined && { classes }),
    fractions: d.fractions ?? DEFAULT_FRACTIONS,
    ...(subjectPattern !== undefined && { subjectPattern }),
    ...(split !== undefined && { split }),
    ...(classWeights !== undefined && { classWeights }),
    ...(request.cacheDir !== undefined && { cacheDir: request.cacheDir }),
    resume: request.resume ?? false,
  };
  checkRanges(options, label);
  return options;
}
