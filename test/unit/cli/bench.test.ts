import assert from 'node:assert/strict';
import { forwardFlops } from '../../../src/trainer/bench/flops';
import { syntheticBatch } from '../../../src/trainer/bench/synthetic';
import { runCli } from '../../../src/trainer/cli/main';

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
}

const KEYS = [
  'kind', 'engine', 'device', 'device_name', 'model', 'mode', 'threads', 'batch', 'steps', 'warmup', 'reps', 'input', 'layer', 'att_feat_shape', 'lam', 'params',
  'fwd_flops_per_img', 'fwd_flops_detail', 'flops_per_img_step', 'img_s_min', 'img_s_median', 'img_s_max', 'img_s_reps',
  'foreign_cpus_reps', 'gflops_median', 'ms_per_step_median', 'build_s', 'warmup_s', 'peak_rss_mb', 'loadavg_before', 'loadavg_after', 'node',
];

describe('au-lens bench', function () {
  this.timeout(60000);

  it('prints one JSON line with the peer\'s keys for a training step', async () => {
    const run = await cli('bench', 'train', '--model', 'tiny64', '--steps', '1', '--reps', '1', '--warmup', '0');
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out.length, 1);
    const r = JSON.parse(run.out[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(r).sort(), [...KEYS].sort());
    assert.equal(r['model'], 'tiny64');
    assert.equal(r['mode'], 'train');
    assert.equal(r['device'], 'cpu');
    assert.match(r['device_name'] as string, /^CPU( · .+)?$/);
    assert.equal(r['batch'], 32);
    assert.equal(r['threads'], 1);
    assert.equal(r['params'], 77847);
    assert.equal(r['flops_per_img_step'], 3 * 100008832);
    assert.deepEqual(r['att_feat_shape'], [64, 16, 16]);
    for (const k of ['img_s_min', 'img_s_median', 'img_s_max', 'gflops_median', 'peak_rss_mb']) assert.ok((r[k] as number) > 0, k);
  });

  it('measures the inference graph too', async () => {
    const run = await cli('bench', 'infer', '--model', 'tiny64', '--batch', '2', '--steps', '1', '--reps', '2', '--warmup', '1');
    assert.equal(run.code, 0, run.err);
    const r = JSON.parse(run.out[0]!) as Record<string, unknown>;
    assert.equal(r['mode'], 'infer');
    assert.equal(r['flops_per_img_step'], 100008832);
    assert.equal((r['img_s_reps'] as number[]).length, 2);
  });

  it('refuses a missing mode, an unknown model and a batch of one as usage errors', async () => {
    for (const argv of [['bench', '--model', 'tiny64'], ['bench', 'train', '--model', 'vgg'], ['bench', 'train', '--model', 'tiny64', '--batch', '1'], ['bench', 'fit', '--model', 'tiny64']]) {
      const run = await cli(...argv);
      assert.equal(run.code, 2, argv.join(' '));
      assert.match(run.err, /Usage: au-lens bench/);
    }
  });

  it('counts forward FLOPs as the peer (conv + linear, 2·MAC)', () => {
    // bench.py's count_forward_flops; the torchvision nets as its README rounds them.
    assert.equal(forwardFlops('tiny64', 7).total, 100008832);
    assert.equal(forwardFlops('small96', 7).total, 4319284736);
    assert.equal(Math.round(forwardFlops('resnet18', 7).total / 1e6) / 1e3, 4.606);
    assert.equal(Math.round(forwardFlops('resnet50', 7).total / 1e7) / 1e2, 38.15);
  });

  it('makes batches like the peer: N(0,1) images, AU maps in [0,1] peaking at 1, no alignment for neutral', () => {
    const b = syntheticBatch(8, 16, 7, 3);
    let sum = 0;
    for (const v of b.image) sum += v;
    assert.ok(Math.abs(sum / b.image.length) < 0.1);
    for (let i = 0; i < 8; i++) {
      const map = b.auMaps.subarray(i * 256, (i + 1) * 256);
      assert.ok(Math.abs(Math.max(...map) - 1) < 1e-6 && Math.min(...map) >= 0);
      assert.equal(b.auValid[i], b.labels[i] === 0n ? 0 : 1);
    }
  });
});
