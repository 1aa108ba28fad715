import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { MODEL_NAMES } from '../../../src/trainer/models/modelNames';
import { parseRunConfig, RunConfigError, runConfigOf, runNameOfConfig } from '../../../src/trainer/train/runConfig';
import { TRAIN_DEFAULTS } from '../../../src/trainer/train/trainDefaults';
import { resolveTrainOptions, TrainRequestError } from '../../../src/trainer/train/trainRequest';
import { repoRoot } from '../../helpers/paths';

const file = path.join('/ws', 'configs', 'fear-l4.au-lens-run.json');
const label = (field: string): string => `"${field}"`;

describe('run-config files and train requests', () => {
  it('resolves paths against the file\'s folder and defaults the run folder to runs/<config name>', () => {
    const request = parseRunConfig({ $schema: 'x', data: '../data/ck48', preset: 'tiny64', lambda: 4, layers: ['stage3'], epochs: 3 }, file);
    assert.deepEqual(request, { data: '/ws/data/ck48', preset: 'tiny64', lambda: 4, layers: ['stage3'], epochs: 3, out: '/ws/configs/runs/fear-l4' });
    assert.equal(runNameOfConfig(file), 'fear-l4');
    const named = parseRunConfig({ data: 'd', init: 'faceapi-expression', codebook: 'paper' }, file);
    assert.equal(named.init, 'faceapi-expression');
    assert.equal(named.codebook, 'paper');
    const files = parseRunConfig({ data: 'd', init: 'runs/a/best.ckpt', codebook: 'my.codebook.json' }, file);
    assert.equal(files.init, '/ws/configs/runs/a/best.ckpt');
    assert.equal(files.codebook, '/ws/configs/my.codebook.json');
  });

  it('saves a request with paths relative to the file, and reads it back the same', () => {
    const request = { data: '/ws/data/ck48', out: '/ws/runs/a', preset: 'small96', lambda: 1, epochs: 5, resume: false };
    const config = runConfigOf(request, '/ws');
    assert.deepEqual(config, { data: 'data/ck48', out: 'runs/a', preset: 'small96', lambda: 1, epochs: 5 });
    assert.deepEqual(parseRunConfig(config, '/ws/a.au-lens-run.json'), { data: '/ws/data/ck48', out: '/ws/runs/a', preset: 'small96', lambda: 1, epochs: 5 });
  });

  it('names the field of a bad config: wrong type, out of range, unknown, missing', () => {
    const cases: [json: unknown, field: string | undefined, message: RegExp][] = [
      [[], undefined, /must hold a JSON object of settings/],
      [{ data: 'd', lambda: 'four' }, 'lambda', /"lambda" must be a number ≥ 0, got "four"/],
      [{ data: 'd', epochs: 2.5 }, 'epochs', /"epochs" must be a whole number ≥ 1, got 2.5/],
      [{ data: 'd', seed: -1 }, 'seed', /"seed" must be a whole number ≥ 0/],
      [{ data: 'd', layers: [] }, 'layers', /"layers" must be a non-empty list of names/],
      [{ data: 'd', lamda: 4 }, 'lamda', /unknown setting "lamda"; the settings are data, out, preset/],
      [{ preset: 'tiny64' }, 'data', /"data" is missing/],
      [{ data: '' }, 'data', /"data" must be a non-empty string/],
    ];
    for (const [json, field, message] of cases) {
      assert.throws(() => parseRunConfig(json, file), (err: unknown) => err instanceof RunConfigError && err.field === field && message.test(err.message), JSON.stringify(json));
    }
  });

  it('a recipe sets the reference\'s settings under the ones given; --split and --class-weights resolve', async () => {
    const rafdb = await resolveTrainOptions({ data: '/d', out: '/o', recipe: 'paper-rafdb' }, { label, defaultThreads: 1 });
    assert.deepEqual(
      { preset: rafdb.preset, lambda: rafdb.lambda, epochs: rafdb.epochs, batch: rafdb.batch, lr: rafdb.lr, wd: rafdb.weightDecay, momentum: rafdb.momentum, step: rafdb.lrStepEpochs, gamma: rafdb.lrGamma, recipe: rafdb.recipe },
      { preset: 'resnet50', lambda: 4, epochs: 20, batch: 8, lr: 0.002, wd: 5e-4, momentum: 0.9, step: 4, gamma: 0.9, recipe: 'paper-rafdb' });
    assert.equal(rafdb.layers, undefined, 'the preset\'s last stage, the paper\'s layer 5');
    const affectnet = await resolveTrainOptions({ data: '/d', out: '/o', recipe: 'paper-affectnet', lambda: 1, batch: 4, preset: 'resnet18' }, { label, defaultThreads: 1 });
    assert.deepEqual([affectnet.lambda, affectnet.batch, affectnet.preset, affectnet.lr, affectnet.epochs], [1, 4, 'resnet18', 0.002, 20]);
    assert.equal((await resolveTrainOptions({ data: '/d', out: '/o', recipe: 'paper-affectnet' }, { label, defaultThreads: 1 })).lambda, 9);
    const chosen = await resolveTrainOptions({ data: '/d', out: '/o', split: 'subjects', classWeights: 'inverse' }, { label, defaultThreads: 1 });
    assert.equal(chosen.split, 'subjects');
    assert.deepEqual(chosen.classWeights, { kind: 'inverse' });
    const plain = await resolveTrainOptions({ data: '/d', out: '/o' }, { label, defaultThreads: 1 });
    assert.equal(plain.split, undefined, 'official where the data has one, decided when it is read');
    assert.equal(plain.classWeights, undefined);
    const fromFile = parseRunConfig({ data: 'd', classWeights: 'weights.json' }, file);
    assert.equal(fromFile.classWeights, '/ws/configs/weights.json');
    assert.equal(parseRunConfig({ data: 'd', classWeights: 'inverse' }, file).classWeights, 'inverse');
  });

  it('the schema knows every setting the parser accepts', async () => {
    const schema = JSON.parse(await readFile(path.join(repoRoot, 'schemas', 'run-config.schema.json'), 'utf8')) as { properties: Record<string, unknown> };
    const config = runConfigOf({ data: '/d', out: '/o', preset: 'tiny64', init: 'x', lambda: 0, layers: ['a'], epochs: 1, batch: 2, lr: 1, weightDecay: 0, seed: 0, threads: 1, classes: ['happy'], codebook: 'paper', subjectPattern: '^(p\\d+)_', split: 'official', classWeights: 'inverse', recipe: 'paper-rafdb' }, '/');
    assert.deepEqual(['$schema', ...Object.keys(config)].sort(), Object.keys(schema.properties).sort());
  });

  it('the schema offers every model by name, so the editor completes the ViT presets too', async () => {
    const schema = JSON.parse(await readFile(path.join(repoRoot, 'schemas', 'run-config.schema.json'), 'utf8')) as
      { properties: { preset: { enum: string[]; markdownEnumDescriptions: string[] } } };
    assert.deepEqual([...schema.properties.preset.enum].sort(), [...MODEL_NAMES].sort());
    assert.equal(schema.properties.preset.markdownEnumDescriptions.length, MODEL_NAMES.length);
  });

  it('fills the defaults, and refuses what the trainer cannot run, naming the field', async () => {
    const options = await resolveTrainOptions({ data: '/d', out: '/o' }, { label, defaultThreads: 3 });
    assert.equal(options.preset, TRAIN_DEFAULTS.model);
    assert.equal(options.lambda, TRAIN_DEFAULTS.lambda);
    assert.equal(options.epochs, TRAIN_DEFAULTS.epochs);
    assert.equal(options.threads, 3);
    assert.equal(options.resume, false);
    assert.equal((await resolveTrainOptions({ data: '/d', out: '/o', subjectPattern: '^(p\\d+)_' }, { label, defaultThreads: 1 })).subjectPattern, '^(p\\d+)_');
    assert.equal(parseRunConfig({ data: 'd', subjectPattern: '^(\\w+)/' }, file).subjectPattern, '^(\\w+)/');
    assert.equal((await resolveTrainOptions({ data: '/d', out: '/o', init: 'faceapi-expression' }, { label, defaultThreads: 1 })).lr, TRAIN_DEFAULTS.fineTuneLr);
    const refused: [request: Record<string, unknown>, field: string, message: RegExp][] = [
      [{ preset: 'resnet9' }, 'preset', /unknown "preset" "resnet9"; use one of tiny64/],
      [{ layers: ['stage9'] }, 'layers', /"layers": preset "tiny64" has no layer "stage9"/],
      [{ classes: ['smug'] }, 'classes', /unknown class "smug" in "classes"/],
      [{ batch: 1 }, 'batch', /"batch" must be at least 2/],
      [{ subjectPattern: '(' }, 'subjectPattern', /"subjectPattern" is not a valid regular expression \(Invalid regular expression/],
      [{ init: 'faceapi-expression', resume: true }, 'init', /starts a new run/],
      [{ split: 'random' }, 'split', /"split" must be official or subjects, got "random"/],
      [{ recipe: 'paper-ckplus' }, 'recipe', /unknown "recipe" "paper-ckplus"; use one of paper-rafdb, paper-affectnet/],
      [{ classWeights: '/no/such/weights.json' }, 'classWeights', /"classWeights": class-weights file \/no\/such\/weights.json does not exist \(give none, inverse, or a JSON file/],
    ];
    for (const [more, field, message] of refused) {
      await assert.rejects(resolveTrainOptions({ data: '/d', out: '/o', ...more }, { label, defaultThreads: 1 }),
        (err: unknown) => err instanceof TrainRequestError && err.field === field && message.test(err.message), JSON.stringify(more));
    }
  });
});
