import assert from 'node:assert/strict';
import { Graph } from '../../../src/trainer/onnx/graph';
import { blockedConv, canBlock, usesBlockedOps, withoutBlockedOps } from '../../../src/trainer/onnx/nchwc';
import { conv } from '../../../src/trainer/onnx/ops';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import { floatTensor, ort } from '../../../src/trainer/onnx/session';
import { randn } from '../../helpers/gradcheck';
import { maxAbsDiff } from '../../helpers/runOp';

interface Case {
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
}

/** x → [blocked conv, plain conv] for each case, as one model. */
function model(cases: readonly Case[]): Uint8Array {
  const g = new Graph('nchwc');
  cases.forEach((c, k) => {
    const x = g.input(`x${k}`, 'float32', c.x);
    const w = g.input(`w${k}`, 'float32', c.w);
    g.output(blockedConv(g, x, w, c), `blocked${k}`);
    g.output(conv(g, x, w, undefined, c), `plain${k}`);
  });
  return toModelBytes(g);
}

describe('onnx: blocked (NCHWc) convolutions', () => {
  const cases: readonly Case[] = [
    { x: [2, 16, 7, 6], w: [32, 16, 3, 3], strides: [1, 1], pads: [1, 1, 1, 1] },
    { x: [2, 32, 8, 8], w: [16, 32, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    { x: [2, 16, 5, 5], w: [16, 16, 1, 1], strides: [1, 1], pads: [0, 0, 0, 0] },
    { x: [2, 3, 6, 6], w: [16, 3, 3, 3], strides: [1, 1], pads: [1, 1, 1, 1] },
  ];
  const feeds = (): Record<string, ort.Tensor> => Object.fromEntries(cases.flatMap((c, k) => [
    [`x${k}`, floatTensor(randn(c.x.reduce((a, b) => a * b), 10 + k), c.x)],
    [`w${k}`, floatTensor(randn(c.w.reduce((a, b) => a * b), 20 + k), c.w)],
  ]));

  it('blocks only group-1 convs whose channels every block size divides, or RGB inputs', () => {
    const g = new Graph();
    let count = 0;
    const t = (shape: readonly number[]): ReturnType<Graph['input']> => g.input(`t${count++}`, 'float32', shape);
    assert.ok(canBlock(t([1, 16, 4, 4]), t([32, 16, 3, 3]), 1));
    assert.ok(canBlock(t([1, 3, 4, 4]), t([16, 3, 3, 3]), 1));
    assert.ok(!canBlock(t([1, 8, 4, 4]), t([16, 8, 3, 3]), 1));
    assert.ok(!canBlock(t([1, 16, 4, 4]), t([24, 16, 3, 3]), 1));
    assert.ok(!canBlock(t([1, 16, 4, 4]), t([16, 8, 3, 3]), 2));
  });

  it('equals the plain Conv, and so does its plain-ONNX fallback', async () => {
    const bytes = model(cases);
    assert.ok(usesBlockedOps(bytes));
    const plainBytes = withoutBlockedOps(bytes);
    assert.ok(!usesBlockedOps(plainBytes));
    for (const b of [bytes, plainBytes]) {
      const session = await ort.InferenceSession.create(b, { intraOpNumThreads: 1 });
      const out = await session.run(feeds());
      await session.release();
      cases.forEach((_, k) => {
        const plain = out[`plain${k}`]!.data as Float32Array;
        assert.ok(maxAbsDiff(out[`blocked${k}`]!.data as Float32Array, plain) < 1e-4, `case ${k}`);
      });
    }
  });

  it('leaves a model without blocked ops alone', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 16, 4, 4]);
    g.output(conv(g, x, g.input('w', 'float32', [16, 16, 3, 3]), undefined, { pads: [1, 1, 1, 1] }), 'y');
    assert.ok(!usesBlockedOps(toModelBytes(g)));
  });
});
