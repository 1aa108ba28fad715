/** A ViT's token layers in an imported model: the sidecar's `tokens` and the tokens → grid reshape. */
import assert from 'node:assert/strict';
import { parseSidecar, sidecarJson } from '../../../src/trainer/import/sidecar';
import { tokenShape, tokensToGrid } from '../../../src/trainer/import/tokenLayers';

const base = { version: 1, labels: ['happy', 'sad'], layers: [{ value: 'x', name: 'block1' }] };

describe('import: ViT token layers (sidecar "tokens")', () => {
  it('lays tokens (1, T, C) on the grid without the class token, as pytorch-grad-cam’s reshape_transform', () => {
    const tokens = { grid: [2, 3] as const, skip: 1 };
    assert.deepEqual(tokenShape([1, 7, 4], tokens), [4, 2, 3]);
    assert.equal(tokenShape([1, 6, 4], tokens), undefined);
    assert.equal(tokenShape([1, 4, 2, 3], tokens), undefined);
    const data = Float32Array.from({ length: 7 * 4 }, (_, i) => i); // token t, channel c = 4t + c
    const grid = tokensToGrid(data, 4, tokens);
    // channel 2 over the six patches (tokens 1…6): 6, 10, 14, 18, 22, 26
    assert.deepEqual([...grid.subarray(2 * 6, 3 * 6)], [6, 10, 14, 18, 22, 26]);
  });

  it('reads and writes "tokens" in the sidecar, and refuses a malformed one by name', () => {
    const s = parseSidecar({ ...base, tokens: { grid: [14, 14] } }, 'm.au-lens.json');
    assert.deepEqual(s.tokens, { grid: [14, 14], skip: 1 });
    assert.deepEqual(JSON.parse(sidecarJson(s)).tokens, { grid: [14, 14], skip: 1 });
    assert.equal(parseSidecar(base, 'm.au-lens.json').tokens, undefined);
    for (const bad of [{ grid: [14] }, { grid: [14, 0] }, { grid: [14, 14], skip: -1 }, { grid: [2, 2], extra: 1 }, 7]) {
      assert.throws(() => parseSidecar({ ...base, tokens: bad }, 'm.au-lens.json'), /m\.au-lens\.json: "tokens" must be/);
    }
  });

  it('reads and writes each block\'s attention Softmax for rollout ("tokens.attention"), and refuses a malformed list', () => {
    const attention = ['/blocks.0/attn/Softmax_output_0', '/blocks.1/attn/Softmax_output_0'];
    const s = parseSidecar({ ...base, tokens: { grid: [14, 14], attention } }, 'm.au-lens.json');
    assert.deepEqual(s.tokens, { grid: [14, 14], skip: 1, attention });
    assert.deepEqual(JSON.parse(sidecarJson(s)).tokens, { grid: [14, 14], skip: 1, attention });
    for (const bad of [[], 'a', ['a', 'a'], ['a', ''], [3]]) {
      assert.throws(() => parseSidecar({ ...base, tokens: { grid: [14, 14], attention: bad } }, 'm.au-lens.json'),
        /m\.au-lens\.json: "tokens\.attention" must list each block's attention Softmax output .* once, in block order; `au-lens inspect --model FILE` proposes them; got /);
    }
    const rolloutLayer = { ...base, layers: [{ value: 'x', name: 'rollout' }], tokens: { grid: [14, 14], attention } };
    assert.throws(() => parseSidecar(rolloutLayer, 'm.au-lens.json'), /names a layer "rollout", the map "tokens\.attention" makes; give the layer another "name"/);
    assert.equal(parseSidecar({ ...rolloutLayer, tokens: { grid: [14, 14] } }, 'm.au-lens.json').layers[0]!.name, 'rollout');
  });
});
