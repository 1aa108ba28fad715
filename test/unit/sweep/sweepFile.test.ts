import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import Ajv from 'ajv';
import { expandSweep, MAX_RUNS, runName, sweepSize } from '../../../src/trainer/sweep/expand';
import { parseSweepFile, SweepError } from '../../../src/trainer/sweep/sweepFile';
import { RUN_CONFIG_SETTINGS } from '../../../src/trainer/train/runConfig';
import { repoRoot } from '../../helpers/paths';

const file = path.join('/ws', 'sweeps', 'lambda.au-lens-sweep.json');
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const base = { data: '../data/ck48', preset: 'tiny64', epochs: 30 };

describe('sweep files', () => {
  it('reads base, axes, points and out, paths against the file\'s folder', () => {
    const json = { $schema: 'x', base: { $schema: 'y', ...base }, axes: { lambda: [0, 4], seed: [0, 1, 2] } };
    const sweep = parseSweepFile(json, file);
    assert.equal(sweep.name, 'lambda');
    assert.equal(sweep.out, '/ws/sweeps/runs/lambda');
    assert.equal(sweep.evaluate, true);
    assert.deepEqual(sweep.base, base);
    assert.deepEqual(sweep.axes, [{ setting: 'lambda', values: [0, 4] }, { setting: 'seed', values: [0, 1, 2] }]);
    assert.deepEqual(sweep.points, [{}]);
    const json2 = { name: 'l-grid', base, points: [{ layers: ['stage3'] }], out: '../out/g', evaluate: false };
    const named = parseSweepFile(json2, file);
    assert.equal(named.name, 'l-grid');
    assert.equal(named.out, '/ws/out/g');
    assert.equal(named.evaluate, false);
  });

  it('names the place at fault: unknown settings (with a hint), empty grids, bad values, a setting given twice', () => {
    const cases: [json: unknown, field: string | undefined, message: RegExp][] = [
      [[], undefined, /must hold a JSON object/],
      [{ base, axes: { lamda: [1] } }, 'axes',
        /unknown setting "lamda" in axes; the settings are data, preset, init, lambda/],
      [{ base, axes: { model: ['tiny64'] } }, 'axes',
        /unknown setting "model" in axes \(did you mean "preset"\?\); the settings are/],
      [{ base, points: [{ 'weight-decay': 0.1 }] }, 'points[0]',
        /unknown setting "weight-decay" in points\[0\] \(did you mean "weightDecay"\?\)/],
      [{ base, axes: { out: ['a', 'b'] } }, 'axes', /"out" is not a setting of a sweep's runs/],
      [{ base: { ...base, out: 'x' }, axes: { seed: [0] } }, 'base', /set the sweep's "out" instead/],
      [{ base, axes: { lambda: [] } }, 'axes.lambda', /axes\.lambda is empty: give at least one value/],
      [{ base, axes: {} }, 'axes', /the sweep has no grid: give "axes"/],
      [{ base }, 'axes', /the sweep has no grid/],
      [{ base, points: [] }, 'points', /"points" is empty/],
      [{ base, points: [{}] }, 'points[0]', /points\[0\] sets nothing/],
      [{ base, axes: { lambda: 4 } }, 'axes.lambda', /axes\.lambda must be a list of values/],
      [{ base, axes: { lambda: [0, -1] } }, 'axes.lambda[1]',
        /axes\.lambda\[1\]: "lambda" must be a number ≥ 0, got -1/],
      [{ base, axes: { seed: [0, 1, 0] } }, 'axes.seed[2]', /axes\.seed\[2\]: 0 is listed twice/],
      [{ base, axes: { layers: ['stage3'] } }, 'axes.layers[0]', /"layers" must be a non-empty list of names/],
      [{ base, axes: { seed: [0] }, points: [{ seed: 1 }] }, 'points[0].seed',
        /points\[0\] and "axes" both set "seed"/],
      [{ axes: { seed: [0] } }, 'base', /"base" is missing/],
      [{ base: { preset: 'tiny64' }, axes: { seed: [0] } }, 'base.data', /"base" has no "data"/],
      [{ base, axes: { seed: [0] }, lambda: 4 }, 'lambda',
        /unknown key "lambda" in lambda\.au-lens-sweep\.json; .*run settings go in "base", "axes" or "points"/],
      [{ base, axes: { seed: [0] }, name: 'a b' }, 'name', /"name" must start with a letter or digit/],
      [{ base, axes: { seed: [0] }, out: '' }, 'out', /"out" must be a folder path/],
      [{ base, axes: { seed: [0] }, evaluate: 'yes' }, 'evaluate', /"evaluate" must be true or false/],
    ];
    for (const [json, field, message] of cases) {
      const fits = (err: unknown): boolean =>
        err instanceof SweepError && err.field === field && message.test(err.message);
      assert.throws(() => parseSweepFile(json, file), fits, `${JSON.stringify(json)} → ${field}: ${message}`);
    }
  });

  it('the schema knows every run setting a sweep may vary, and agrees with the parser on examples', async () => {
    const read = async (name: string): Promise<Record<string, unknown>> =>
      JSON.parse(await readFile(path.join(repoRoot, 'schemas', name), 'utf8')) as Record<string, unknown>;
    const schema = await read('sweep.schema.json');
    type Properties = { properties: Record<string, unknown> };
    const settings = (schema['definitions'] as { settings: Properties }).settings.properties;
    const axes = (schema['properties'] as { axes: Properties }).axes.properties;
    const varying = RUN_CONFIG_SETTINGS.filter((s) => s !== 'out');
    assert.deepEqual(Object.keys(settings).sort(), [...varying].sort());
    assert.deepEqual(Object.keys(axes).sort(), [...varying].sort());

    const ajv = new Ajv({ allErrors: true });
    ajv.addSchema(await read('run-config.schema.json'), 'run-config.schema.json');
    const validate = ajv.compile(schema);
    const good = [
      { base, axes: { lambda: [0, 1, 4, 9], seed: [0, 1, 2] } },
      {
        name: 'layers', base, points: [{ layers: ['stage3'] }, { layers: ['stage2', 'stage3'], lambda: 2 }],
        axes: { seed: [0] }, out: 'runs/x', evaluate: false,
      },
    ];
    for (const json of good) {
      assert.equal(validate(json), true, JSON.stringify(validate.errors));
      parseSweepFile(json, file);
    }
    const bad = [
      { base, axes: { lamda: [1] } }, { base, axes: { lambda: [] } }, { base }, { base, axes: { lambda: [-1] } },
      { base: { ...base, out: 'x' }, axes: { seed: [0] } }, { base, points: [{}] },
      { base: { preset: 'tiny64' }, axes: { seed: [0] } },
    ];
    for (const json of bad) {
      assert.equal(validate(json), false, JSON.stringify(json));
      assert.throws(() => parseSweepFile(json, file), SweepError);
    }
  });
});

describe('sweep expansion', () => {
  it('crosses listed points with the grid, first axis slowest, each run with a stable name', () => {
    const points = [{ layers: ['stage3'] }, { layers: ['stage2', 'stage3'] }];
    const sweep = parseSweepFile({ base, points, axes: { lambda: [0, 4], seed: [1, 2] } }, file);
    assert.equal(sweepSize(sweep), 8);
    const runs = expandSweep(sweep);
    assert.deepEqual(runs.map((r) => r.name), [
      'l0-stage3-s1', 'l0-stage3-s2', 'l4-stage3-s1', 'l4-stage3-s2',
      'l0-stage2+stage3-s1', 'l0-stage2+stage3-s2', 'l4-stage2+stage3-s1', 'l4-stage2+stage3-s2',
    ]);
    assert.deepEqual(runs.map((r) => r.index), [0, 1, 2, 3, 4, 5, 6, 7]);
    const run = runs[2]!;
    assert.deepEqual(run.point, { layers: ['stage3'], lambda: 4, seed: 1 });
    assert.deepEqual(run.request, {
      data: '/ws/data/ck48', preset: 'tiny64', epochs: 30, layers: ['stage3'], lambda: 4, seed: 1,
      out: '/ws/sweeps/runs/lambda/l4-stage3-s1',
    });
  });

  it('names runs by the settings they vary, in one order whatever the file\'s', () => {
    assert.equal(runName({ seed: 1, layers: ['stage3'], lambda: 4 }), 'l4-stage3-s1');
    assert.equal(runName({ seed: 0, preset: 'small96', lr: 0.01, weightDecay: 0.0005, batch: 16, epochs: 5 }),
      'small96-lr0.01-wd0.0005-b16-e5-s0');
    const paths = { data: '/d/ck48/', codebook: 'my/official.codebook.json', init: 'runs/a/best.ckpt' };
    assert.equal(runName({ ...paths, classes: ['happy', 'sad'] }),
      'init-best-ck48-cb-official.codebook-happy+sad');
    assert.equal(runName({ data: 'a b:c' }), 'a_b_c');
    assert.equal(runName({ seed: 2, classWeights: 'w/inverse.json', split: 'official', recipe: 'paper-rafdb' }),
      'paper-rafdb-official-cw-inverse-s2');
    assert.equal(runName({ subjectPattern: '^(S\\d+)_' }), 'subj-_S_d+__');
    assert.equal(runName({}), 'base');
  });

  it('refuses two runs with one name, an unknown preset or layer, and more than the largest sweep', () => {
    const cases: [json: unknown, message: RegExp][] = [
      [{ base, axes: { data: ['a/ck48', 'b/ck48'] } }, /two runs get the name "ck48"/],
      [{ base, axes: { preset: ['tiny64', 'resnet9'] } }, /run resnet9: unknown "preset" "resnet9"; use one of tiny64/],
      [{ base, axes: { layers: [['stage3'], ['layer4']] } }, /run layer4: "layers": preset "tiny64" has no layer/],
      [{ base, axes: { seed: range(400), lambda: range(300) } },
        new RegExp(`expands to 120,000 runs, more than ${MAX_RUNS.toLocaleString('en')}`)],
    ];
    for (const [json, message] of cases) {
      const fits = (err: unknown): boolean => err instanceof SweepError && message.test(err.message);
      assert.throws(() => expandSweep(parseSweepFile(json, file)), fits, String(message));
    }
  });
});
