import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { runCli } from '../../../src/trainer/cli/main';
import { loadCheckpoint, saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { snapshot, syntheticPng, useTrainingWorkspace } from './fixtures';

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string;
}

async function cli(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
}

type JsonLine = { readonly type: string } & Record<string, unknown>;

describe('au-lens train and eval: output and failures', function () {
  // The first run detects the fixtures' faces with the real detector: 45 s on two cores at load 25, past 60 s when
  // other suites run beside it.
  this.timeout(120_000);
  const ws = useTrainingWorkspace('train-cli');
  /** The run that `train --json` makes; later tests evaluate, resume and damage copies of it. */
  const run = (): string => path.join(ws.root, 'run');

  const trainFlags = (out: string, ...more: string[]): string[] =>
    ['train', '--data', ws.data, '--out', out, '--epochs', '2', '--batch', '4', '--seed', '3', '--threads', '1', '--cache', ws.cache, ...more];

  describe('bad flags: exit 2 with the message and the usage, nothing written', () => {
    const cases: [argv: string[], message: RegExp][] = [
      [['train'], /missing required flag --data/],
      [['train', '--data', 'D'], /missing required flag --out/],
      [['train', '--data', 'D', '--out', 'O', '--bogus'], /Unknown option '--bogus'/],
      [['train', '--data', 'D', '--out', 'O', 'extra'], /Unexpected argument 'extra'/],
      [['train', '--data', 'D', '--out', 'O', '--batch', '1'], /--batch must be at least 2/],
      [['train', '--data', 'D', '--out', 'O', '--batch', 'four'], /--batch must be a non-negative integer, got "four"/],
      [['train', '--data', 'D', '--out', 'O', '--epochs', '0'], /--epochs must be at least 1/],
      [['train', '--data', 'D', '--out', 'O', '--lr', 'fast'], /--lr must be a non-negative number, got "fast"/],
      [['train', '--data', 'D', '--out', 'O', '--lr', '0'], /--lr must be positive/],
      [['train', '--data', 'D', '--out', 'O', '--lambda=-1'], /--lambda must be a non-negative number, got "-1"/],
      [['train', '--data', 'D', '--out', 'O', '--model', 'resnet9'], /unknown --model "resnet9"; use one of tiny64, small96, resnet18, resnet50/],
      [['train', '--data', 'D', '--out', 'O', '--classes', 'happy,smiling'], /unknown class "smiling" in --classes/],
      [['train', '--data', 'D', '--out', 'O', '--subject-pattern', '(S\\d+'], /--subject-pattern is not a valid regular expression/],
      [['train', '--data', 'D', '--out', 'O', '--layers', 'stage9'], /--layers: preset "tiny64" has no layer "stage9"; its layers: stem, stage1, stage2, stage3/],
      [['train', '--data', 'D', '--out', 'O', '--split', 'random'], /--split must be official or subjects, got "random"/],
      [['train', '--data', 'D', '--out', 'O', '--recipe', 'paper-ck'], /unknown --recipe "paper-ck"; use one of paper-rafdb, paper-affectnet/],
      [['train', '--data', 'D', '--out', 'O', '--class-weights', 'D/weights.json'], /--class-weights: class-weights file D\/weights.json does not exist \(give none, inverse, or a JSON file of class weights\)/],
      [['eval'], /missing required flag --checkpoint/],
      [['eval', '--checkpoint', 'C'], /missing required flag --data/],
      [['eval', '--checkpoint', 'C', '--data', 'D', '--split', 'holdout'], /--split must be train, val, test or all, got "holdout"/],
      [['eval', '--checkpoint', 'C', '--data', 'D', '--methods', 'magic'], /unknown CAM method "magic"/],
      [['eval', '--checkpoint', 'C', '--data', 'D', '--batch', '0'], /--batch must be at least 1/],
      [['eval', '--checkpoint', 'C', '--data', 'D', '--frobnicate'], /Unknown option '--frobnicate'/],
    ];
    for (const [argv, message] of cases) {
      it(`${argv.join(' ')}`, async () => {
        const out = path.join(ws.root, 'bad-flags');
        const r = await cli(...argv.map((a) => (a === 'O' ? out : a)));
        assert.equal(r.code, 2, r.err);
        assert.match(r.err, new RegExp(`^au-lens ${argv[0]!}: `));
        assert.match(r.err, message);
        assert.match(r.err, new RegExp(`Usage: au-lens ${argv[0]!} `));
        assert.equal(existsSync(out), false);
      });
    }
  });

  describe('train', () => {
    it('--json prints JSON lines: the data, every step with CE, alignment loss and img/s, every epoch with validation metrics', async () => {
      const r = await cli(...trainFlags(run(), '--json'));
      assert.equal(r.code, 0, r.err);
      const lines = r.out.map((l) => JSON.parse(l) as JsonLine);
      const of = (type: string): JsonLine[] => lines.filter((l) => l.type === type);
      assert.deepEqual(of('data')[0]?.['split'], { train: 18, val: 3, test: 3 });
      assert.deepEqual([of('data')[0]?.['layout'], of('data')[0]?.['splitMode']], ['image-folder', 'subjects']);

      const steps = of('step');
      assert.equal(steps.length, 2 * 4);
      steps.forEach((s, i) => {
        assert.equal(s['step'], i + 1);
        assert.equal(s['epoch'], i < 4 ? 1 : 2);
        for (const key of ['loss', 'ce', 'align', 'lr']) assert.ok(Number.isFinite(s[key]), `${key} of ${JSON.stringify(s)}`);
        assert.ok((s['imagesPerSecond'] as number) > 0, `img/s of ${JSON.stringify(s)}`);
      });

      const epochs = of('epoch');
      assert.deepEqual(epochs.map((e) => e['epoch']), [1, 2]);
      for (const e of epochs) {
        const trainMetrics = e['train'] as Record<string, number>;
        for (const key of ['loss', 'ce', 'align', 'accuracy']) assert.ok(Number.isFinite(trainMetrics[key]), key);
        const val = e['val'] as { accuracy: number; balancedAccuracy: number; attCos: Record<string, number> };
        assert.ok(val.accuracy >= 0 && val.accuracy <= 1);
        assert.ok(val.balancedAccuracy >= 0 && val.balancedAccuracy <= 1);
        assert.deepEqual(Object.keys(val.attCos), ['stem', 'stage1', 'stage2', 'stage3']);
        assert.ok(Object.values(val.attCos).every((v) => v > 0 && v <= 1));
      }
      assert.deepEqual(lines.at(-1), {
        type: 'done', status: 'completed', last: path.join(run(), 'last.ckpt'), best: path.join(run(), 'best.ckpt'),
        bestEpoch: [...epochs].reverse().find((e) => e['best'] === true)?.['epoch'],
        epochs: 2,
      });
    });

    it('refuses to start over a folder that holds a run: exit 1, the reason, nothing changed', async () => {
      const before = await snapshot(run());
      const r = await cli(...trainFlags(run()));
      assert.equal(r.code, 1);
      assert.match(r.err, /already holds a run \(last\.ckpt\); pass --resume to continue it or choose another --out/);
      assert.doesNotMatch(r.err, /Usage:/);
      assert.deepEqual(await snapshot(run()), before);
    });

    it('--resume without the other flags continues the run with its own settings', async () => {
      const copy = path.join(ws.root, 'resumed');
      await cp(run(), copy, { recursive: true });
      const r = await cli('train', '--data', ws.data, '--out', copy, '--epochs', '3', '--threads', '1', '--cache', ws.cache, '--resume', '--json');
      assert.equal(r.code, 0, r.err);
      const steps = r.out.map((l) => JSON.parse(l) as JsonLine).filter((l) => l.type === 'step');
      assert.deepEqual(steps.map((s) => [s['epoch'], s['step']]), [[3, 9], [3, 10], [3, 11], [3, 12]]);
      const last = await loadCheckpoint(path.join(copy, 'last.ckpt'));
      assert.deepEqual([last.epoch, last.optimizer.seed, last.optimizer.settings?.['batch']], [3, 3, 4]);
    });

    it('--resume with a conflicting flag names the difference', async () => {
      const before = await snapshot(run());
      const r = await cli(...trainFlags(run(), '--resume', '--seed', '5'));
      assert.equal(r.code, 1);
      assert.match(r.err, /cannot resume the run in .* with other settings \(seed: 3 in the run, 5 now\)/);
      assert.deepEqual(await snapshot(run()), before);
    });

    it('without --json, warns about unknown class folders and lists unreadable images', async () => {
      const messy = path.join(ws.root, 'messy');
      await cp(ws.data, messy, { recursive: true });
      await mkdir(path.join(messy, 'smiling'));
      await writeFile(path.join(messy, 'smiling', 'S001_001_00000001.png'), await syntheticPng('smiling', 1));
      // Every subject gets an unreadable image, so some land in the splits training reads.
      for (let k = 1; k <= 8; k++) await writeFile(path.join(messy, 'sad', `S00${k}_009_broken.png`), 'not a png');
      const r = await cli('train', '--data', messy, '--out', path.join(ws.root, 'messy-run'), '--epochs', '1', '--batch', '4', '--seed', '3', '--threads', '1', '--cache', ws.cache);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /^warning: folder "smiling" is not a known class, so its 1 file\(s\) were skipped/m);
      const summary = r.out.find((l) => l.startsWith('AU maps: '));
      const unreadable = Number(/; (\d+) unreadable skipped$/.exec(summary ?? '')?.[1]);
      assert.ok(unreadable > 0, summary);
      const listed = r.err.split('\n').filter((l) => /^ {2}skipped .*sad\/S00\d_009_broken\.png: /.test(l));
      assert.equal(listed.length, Math.min(5, unreadable));
      assert.match(r.out.at(-1)!, /^completed: last .*last\.ckpt, best .*best\.ckpt \(epoch 1\)$/);
    });
  });

  describe('eval', () => {
    it('prints the report of the held-out test subjects with the Average row', async () => {
      const r = await cli('eval', '--checkpoint', path.join(run(), 'best.ckpt'), '--data', ws.data, '--batch', '4', '--threads', '1', '--cache', ws.cache);
      assert.equal(r.code, 0, r.err);
      const text = r.out.join('\n');
      assert.match(text, /best\.ckpt on .* \(test split\)/);
      assert.match(text, /^Samples: 3 /m);
      assert.match(text, /^Accuracy: \d+\.\d+%\s+Balanced accuracy: \d+\.\d+%/m);
      assert.match(text, /^class\s+stem\s+stage1\s+stage2\s+stage3\s+CAM\s+Grad-CAM\s+Grad-CAM\+\+\s+LayerCAM$/m);
      assert.match(text, /^Average(\s+\d\.\d{3}){8}$/m);
    });

    describe('refuses a damaged checkpoint: exit 1, naming the file and the damage', () => {
      const damages: [name: string, damage: (file: string) => Promise<void>, problem: RegExp][] = [
        ['truncated', (f) => truncate(f, 100_000), /truncated or damaged \(its checksum line is missing\)/],
        ['empty', (f) => truncate(f, 0), /empty file \(0 bytes\)/],
        // Not a checkpoint by content: the (trusting) CLI tries it as an ONNX model.
        ['not a checkpoint', (f) => writeFile(f, 'PNG or anything else'), /neither an AU Lens checkpoint nor a valid ONNX model/],
        ['missing', async () => undefined, /file not found/],
        ['flipped tensor byte', async (f) => {
          const bytes = await readFile(f);
          const at = bytes.length - 80 - 7; // before the 80-byte digest line
          bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
          await writeFile(f, bytes);
        }, /damaged \(checksum mismatch\)/],
      ];
      for (const [name, damage, problem] of damages) {
        it(name, async () => {
          const file = path.join(ws.root, `damaged-${name.replace(/ /g, '-')}.ckpt`);
          if (name !== 'missing') await cp(path.join(run(), 'best.ckpt'), file);
          await damage(file);
          const r = await cli('eval', '--checkpoint', file, '--data', ws.data, '--cache', ws.cache);
          assert.equal(r.code, 1);
          assert.equal(r.out.length, 0);
          assert.match(r.err, new RegExp(`^au-lens eval: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
          assert.match(r.err, problem);
        });
      }
    });

    it('refuses a checkpoint whose tensors do not fit the model it describes', async () => {
      const good = await loadCheckpoint(path.join(run(), 'best.ckpt'));
      const file = path.join(ws.root, 'two-labels.ckpt');
      // Three-class tensors under a two-class header.
      await saveCheckpoint(file, { ...good, labels: good.labels.slice(0, 2) });
      const r = await cli('eval', '--checkpoint', file, '--data', ws.data, '--cache', ws.cache);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`${file}: the checkpoint does not fit the model it describes \\(tensor "fc\\.weight" is \\[3, \\d+\\] in the checkpoint, the tiny64 model needs \\[2, \\d+\\]\\)`));
    });

    it('refuses a checkpoint of an unknown model', async () => {
      const good = await loadCheckpoint(path.join(run(), 'best.ckpt'));
      const file = path.join(ws.root, 'unknown-model.ckpt');
      await saveCheckpoint(file, { ...good, model: { ...good.model, preset: 'resnet9' } });
      const r = await cli('eval', '--checkpoint', file, '--data', ws.data, '--cache', ws.cache);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`${file}: unknown model preset "resnet9"`));
    });
  });
});
