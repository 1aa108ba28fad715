/**
 * Run-config files (`*.au-lens-run.json`, schema: schemas/run-config.schema.json): a TrainRequest saved in the
 * workspace, with paths relative to the file's folder, so a run can be repeated, shared and reviewed. Parsing
 * checks the shape and names the field at fault; the trainer checks what needs the data (train/trainRequest.ts).
 */
import * as path from 'node:path';
import { FileReadError, READ_CAPS, readJsonFile } from '../io/boundedRead';
import type { TrainRequest } from './trainRequest';

export const RUN_CONFIG_SUFFIX = '.au-lens-run.json';

/** A config file that cannot be a run; `field` names the setting at fault (undefined: the file as a whole). */
export class RunConfigError extends Error {
  override readonly name = 'RunConfigError';

  constructor(readonly field: string | undefined, message: string) {
    super(message);
  }
}

type Kind = 'string' | 'number' | 'integer' | 'count' | 'strings';

/** Every setting a config file may hold, with its JSON type; `$schema` is allowed for editors. */
const FIELDS: Readonly<Record<string, Kind>> = {
  data: 'string',
  out: 'string',
  preset: 'string',
  init: 'string',
  lambda: 'number',
  layers: 'strings',
  epochs: 'count',
  batch: 'count',
  lr: 'number',
  weightDecay: 'number',
  seed: 'integer',
  threads: 'count',
  classes: 'strings',
  codebook: 'string',
  subjectPattern: 'string',
  split: 'string',
  classWeights: 'string',
  recipe: 'string',
};
const PATH_FIELDS = ['data', 'out', 'init', 'codebook', 'classWeights'] as const;

/** The settings a config file may hold, in the order users meet them. */
export const RUN_CONFIG_SETTINGS: readonly string[] = Object.keys(FIELDS);

function checkField(field: string, kind: Kind, value: unknown): void {
  const fail = (what: string): never => {
    throw new RunConfigError(field, `"${field}" must be ${what}, got ${JSON.stringify(value)}`);
  };
  switch (kind) {
    case 'string':
      if (typeof value !== 'string' || value.trim() === '') fail('a non-empty string');
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail('a number ≥ 0');
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail('a whole number ≥ 0');
      break;
    case 'count':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail('a whole number ≥ 1');
      break;
    case 'strings':
      if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v === '')) {
        fail('a non-empty list of names');
      }
      break;
  }
}

/** The run name a config file gives when it names no run folder: its own name without the suffix. */
export function runNameOfConfig(file: string): string {
  const base = path.basename(file);
  return base.endsWith(RUN_CONFIG_SUFFIX) ? base.slice(0, -RUN_CONFIG_SUFFIX.length) : path.parse(base).name;
}

/**
 * `init`, `codebook` and `classWeights` name a pretrained model, a preset or a mode ("faceapi-expression", "paper",
 * "inverse") or give a file.
 */
const isFileRef = (value: string): boolean => /[\\/]/.test(value) || /\.(ckpt|json|onnx)$/i.test(value);

/**
 * The request a config file's JSON asks for, paths made absolute against the file's folder; `out` defaults to
 * `<folder>/runs/<config name>`. A model or codebook given by name stays as is.
 */
export function parseRunConfig(json: unknown, file: string): TrainRequest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RunConfigError(undefined, `${path.basename(file)} must hold a JSON object of settings`);
  }
  const record = json as Record<string, unknown>;
  for (const [field, value] of Object.entries(record)) {
    if (field === '$schema') continue;
    const kind = FIELDS[field];
    if (!kind) {
      throw new RunConfigError(field, `unknown setting "${field}"; the settings are ${Object.keys(FIELDS).join(', ')}`);
    }
    checkField(field, kind, value);
  }
  if (record['data'] === undefined) {
    throw new RunConfigError('data', '"data" is missing: give the dataset (a folder or a CSV manifest)');
  }
  const folder = path.dirname(file);
  const resolved: Record<string, unknown> = { ...record };
  delete resolved['$schema'];
  for (const field of PATH_FIELDS) {
    const value = resolved[field];
    if (typeof value === 'string' && (field === 'data' || field === 'out' || isFileRef(value))) {
      resolved[field] = path.resolve(folder, value);
    }
  }
  resolved['out'] ??= path.join(folder, 'runs', runNameOfConfig(file));
  return resolved as unknown as TrainRequest;
}

/**
 * A request as a config file in `folder`: paths relative to it, so the file moves with the workspace. No
 * `$schema`: the editor finds the schema by the file name (contributes.jsonValidation).
 */
export function runConfigOf(request: TrainRequest, folder: string): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(request)) {
    if (!(field in FIELDS) || value === undefined) continue;
    const isPath =
      (PATH_FIELDS as readonly string[]).includes(field) && typeof value === 'string' && path.isAbsolute(value);
    config[field] = isPath ? path.relative(folder, value as string).split(path.sep).join('/') || '.' : value;
  }
  return config;
}

/** A run-config file read from disk (a regular file of at most 1 MiB) and parsed; RunConfigError for any problem. */
export async function readRunConfig(file: string): Promise<TrainRequest> {
  let json: unknown;
  try {
    json = await readJsonFile(file, READ_CAPS.runConfig, 'a run config');
  } catch (error) {
    if (error instanceof FileReadError) throw new RunConfigError(undefined, error.message);
    throw error;
  }
  return parseRunConfig(json, file);
}
