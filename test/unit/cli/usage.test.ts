/**
 * Every usage mistake the commands catch before they load a model or a photo: exit 2, the message that names the
 * flag, and the command's usage text. One table, so a change to the flag parsing shows here first.
 */
import assert from 'node:assert/strict';
import { runCli } from '../../../src/trainer/cli/main';

async function cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const MISTAKES: readonly (readonly [readonly string[], string])[] = [
  [['aumap', '--out', 'x.png'], 'missing required flag --image'],
  [['aumap', '--image', 'a.jpg'], 'missing required flag --out'],
  [['aumap', '--image', 'a.jpg', '--out', 'x.jpg'], '--out must end in .png, got "x.jpg"'],
  [['aumap', '--colour', 'red'], 'Unknown option \'--colour\''],
  [['aumap', '--image'], 'Option \'--image <value>\' argument missing'],
  [['aumap', 'stray'], 'Unexpected argument \'stray\'. This command does not take positional arguments'],
  [['aumap', '--image', 'a.jpg', '--out', 'x.png', '--max-pixels', 'lots'], '--max-pixels must be a non-negative integer, got "lots"'],
  [['bench'], 'say what to measure: train, infer or data'],
  [['bench', '--model', 'tiny64'], 'say what to measure: train, infer or data'],
  [['bench', 'fly'], 'unknown mode "fly"; use train, infer or data'],
  [['bench', 'train'], 'missing required flag --model'],
  [['bench', 'train', '--model', 'vgg'], 'unknown --model "vgg"; use one of tiny64, small96, resnet18, resnet50'],
  [['bench', 'infer', '--model', 'tiny64', '--batch', '1'], '--batch must be at least 2 (train-mode BatchNorm needs more than one sample)'],
  [['bench', 'train', '--model', 'tiny64', '--reps', '0'], '--threads, --steps and --reps must be at least 1'],
  [['bench', 'train', '--model', 'tiny64', '--steps', 'x'], '--steps must be a non-negative integer, got "x"'],
  [['bench', 'train', '--model', 'tiny64', '--image', 'a.jpg'], 'Unknown option \'--image\''],
  [['bench-explain', '--preset', 'vgg'], 'unknown preset "vgg"; use tiny64, small96, resnet18, resnet50'],
  [['bench-explain', '--reps', '0'], '--reps must be at least 1'],
  [['bench-explain', '--threads', '1.5'], '--threads must be a non-negative integer, got "1.5"'],
  [['bench-faithfulness', '--data', 'D'], 'missing required flag --checkpoint'],
  [['bench-faithfulness', '--checkpoint', 'c', '--data', 'D', '--images', '0'], '--images must be at least 1'],
  [['bench-faithfulness', '--checkpoint', 'c', '--data', 'D', '--reps', '0'], '--threads and --reps must be at least 1'],
  [['eval', '--split', 'dev'], '--split must be train, val, test or all, got "dev"'],
  [['eval', '--methods', 'cam,foo'], 'unknown CAM method "foo"; use cam, gradcam, gradcam++, layercam'],
  [['eval', '--checkpoint', 'a', '--model', 'b'], 'give --checkpoint or --model, not both'],
  [['eval', '--model', 'vgg'], 'unknown --model "vgg"; use one of faceapi-expression, an ONNX model (model.onnx), or --checkpoint'],
  [['eval', '--data', 'D'], 'missing required flag --checkpoint'],
  [['eval', '--checkpoint', 'c'], 'missing required flag --data'],
  [['eval', '--checkpoint', 'c', '--data', 'd', '--batch', '0'], '--batch must be at least 1'],
  [['eval', '--json'], 'Option \'--json <value>\' argument missing'],
  [['explain', '--out', 'o'], 'missing required flag --image'],
  [['explain', '--image', 'i'], 'missing required flag --out'],
  [['explain', '--image', 'i', '--out', 'o', '--face', 'x'], '--face must be a non-negative integer, got "x"'],
  [['explain', '--image', 'i', '--out', 'o', '--faithfulness', 'some'], '--faithfulness must be fast, all or none, got "some"'],
  [['export', '--out', 'm.onnx'], 'missing required flag --checkpoint'],
  [['export', '--checkpoint', 'c'], 'missing required flag --out'],
  [['export', '--checkpoint', 'c', '--out', 'm.pt'], '--out must end in .onnx, got "m.pt"'],
  [['inspect'], 'missing required flag --model'],
  [['inspect', '--model', 'm.onnx', '--size', 'big'], '--size must be a non-negative integer, got "big"'],
  [['landmarks'], 'missing required flag --data'],
  [['landmarks', '--data', 'd', '--json', 'x'], 'Unexpected argument \'x\'. This command does not take positional arguments'],
  [['train', '--out', 'o'], 'missing required flag --data'],
  [['train', '--data', 'd'], 'missing required flag --out'],
  [['train', '--data', 'd', '--out', 'o', '--epochs', '1.5'], '--epochs must be a non-negative integer, got "1.5"'],
  [['train', '--data', 'd', '--out', 'o', '--lr', 'fast'], '--lr must be a non-negative number, got "fast"'],
  [['train', '--data', 'd', '--out', 'o', '--resume=yes'], 'Option \'--resume\' does not take an argument'],
];

describe('au-lens usage mistakes: exit 2, the message and the usage text', () => {
  for (const [argv, message] of MISTAKES) {
    it(`${argv.join(' ')} → ${message}`, async () => {
      const run = await cli(argv);
      assert.equal(run.code, 2, run.err);
      assert.ok(run.err.startsWith(`au-lens ${argv[0]}: ${message}`), run.err);
      assert.match(run.err, new RegExp(`\\n\\nUsage: au-lens ${argv[0]} `));
      assert.equal(run.out, '');
    });
  }

  it('--device before the command: a bad or missing value is a usage error of au-lens itself', async () => {
    for (const [argv, got] of [[['--device', 'gpu', 'bench'], 'gpu'], [['--device'], '']] as const) {
      const run = await cli(argv);
      assert.equal(run.code, 2);
      assert.ok(run.err.startsWith(`au-lens: --device must be cpu, cuda or webgpu, got "${got}"`), run.err);
      assert.match(run.err, /Commands:/);
    }
  });

  it('help: exit 0 when asked for, 2 without a command; a command\'s --help prints its usage', async () => {
    const none = await cli([]);
    assert.equal(none.code, 2);
    assert.match(none.out, /^au-lens — AU-guided facial-expression tooling/);
    for (const asked of ['help', '--help', '-h']) assert.equal((await cli([asked])).code, 0);
    for (const name of ['aumap', 'bench', 'bench-explain', 'bench-faithfulness', 'eval', 'explain', 'export', 'inspect', 'landmarks', 'train']) {
      const run = await cli([name, '--help']);
      assert.equal(run.code, 0);
      assert.ok(run.out.startsWith(`Usage: au-lens ${name}`), run.out);
    }
  });
});
