import assert from 'node:assert/strict';
import * as compare from '../../../src/webview/protocol/compare';
import * as dashboard from '../../../src/webview/protocol/dashboard';
import * as evaluation from '../../../src/webview/protocol/evaluation';
import * as explain from '../../../src/webview/protocol/explain';
import * as sweep from '../../../src/webview/protocol/sweep';
import { isCount, isRecord, isText, oneOf, orNull } from '../../../src/webview/protocol/guards';
import type { IpcCommand, IpcRequest } from '../../../src/webview/protocol/ipc';

type Incoming = IpcCommand<unknown> | IpcRequest<unknown, unknown>;

/** Each message a page may send: params it really sends, and malformed ones the host must refuse. */
const CASES: readonly { type: Incoming; good: readonly unknown[]; bad: readonly unknown[] }[] = [
  ...[explain.ReadyCommand, compare.ReadyCommand, dashboard.ReadyCommand, dashboard.CancelCommand,
    dashboard.ResumeCommand, evaluation.ReadyCommand, evaluation.OpenFileCommand, compare.RetryCommand,
    explain.ExportJsonRequest, sweep.ReadyCommand, sweep.RefreshCommand, sweep.OpenFileCommand].map((type) => ({ type, good: [undefined, null], bad: [0, '', {}, { folder: '/' }, []] })),
  { type: explain.SelectFaceCommand, good: [{ face: 0 }, { face: 3 }],
    bad: [{}, { face: -1 }, { face: 1.5 }, { face: '1' }, { face: 1e9 }, { face: 1, extra: true }, [1]] },
  { type: explain.ExplainClassCommand, good: [{ className: 'happy' }, { className: null }],
    bad: [{}, { className: 3 }, { className: 'x'.repeat(5000) }, { className: ['happy'] }] },
  { type: explain.RunActionCommand, good: [{ action: 'retry' }, { action: 'manageTrust' }],
    bad: [{ action: 'deleteEverything' }, { action: 'workbench.action.terminal.new' }, { action: null }] },
  { type: explain.DidRenderCommand,
    good: [{ kind: 'model', photoLoaded: true, faces: 1, mapA: 'cam', mapB: null, opacity: 0.5, split: 0.5,
      maps: 3 }],
    bad: [{ kind: 'model' }, { kind: 'x', photoLoaded: true, faces: 1, mapA: 'cam', mapB: null, opacity: 0.5,
      split: 0.5, maps: 3 }, { kind: 'model', photoLoaded: 'yes', faces: 1, mapA: 'cam', mapB: null,
      opacity: NaN, split: 0.5, maps: 3 }] },
  { type: explain.ExportPngRequest, good: [{ png: new Uint8Array(4) }],
    bad: [{ png: 'iVBOR' }, { png: [137, 80] }, { png: new Uint8Array(4), path: '/etc/passwd' }, {}] },
  { type: compare.ExplainImageCommand, good: [{ path: '/w/a.png', side: 'a' }, { path: '/w/b.png', side: 'b' }],
    bad: [{ path: '/w/a.png' }, { path: '/w/a.png', side: 'c' }, { path: 7, side: 'a' }, { side: 'a' },
      { path: '/w/a.png', side: 'a', roots: ['/'] }] },
  { type: compare.ExplainClassCommand, good: [{ className: null }], bad: [{ className: {} }, 'happy'] },
  { type: compare.DidRenderCommand, good: [{ mode: 'image', map: null, cells: 4, flips: 0 }],
    bad: [{ mode: 'video', map: null, cells: 4, flips: 0 }, { mode: 'image', map: null, cells: -4, flips: 0 }] },
  { type: sweep.OpenRunCommand, good: [{ run: 'lambda-1-s0' }], bad: [{ run: 1 }, { folder: '/' }, {}] },
  { type: sweep.ShowLogCommand, good: [{ run: 'lambda-1-s0' }], bad: [{ run: null }, { run: 'a', log: '/etc/x' }] },
  { type: sweep.CompareRunsCommand, good: [{ a: 'x', b: 'y' }], bad: [{ a: 'x' }, { a: 'x', b: ['y'] }] },
  { type: evaluation.ExplainImageCommand, good: [{ path: '/w/a.png' }],
    bad: [{ path: null }, { path: '/w/a.png', model: '/tmp/evil.onnx' }, { paths: ['/w/a.png'] }] },
];

describe('webview message guards (a page\'s messages are data: malformed ones are refused)', () => {
  for (const { type, good, bad } of CASES) {
    it(`${type.method}: accepts what the page sends, refuses ${bad.length} malformed params`, () => {
      for (const params of good) assert.ok(type.is({ method: type.method, params }), JSON.stringify(params));
      for (const params of bad) assert.equal(type.is({ method: type.method, params }), false, String(params));
      // Neither another method's name nor no method at all passes.
      assert.equal(type.is({ method: `${type.method}x`, params: good[0] }), false);
      for (const junk of [null, undefined, 'x', 42, { params: good[0] }]) assert.equal(type.is(junk), false);
    });
  }

  it('a stored explain target: its shape, with no path smuggled in extra keys', () => {
    assert.ok(explain.isExplainTarget({ image: '/w/a.png', imageName: 'a.png' }));
    assert.ok(explain.isExplainTarget({ image: '/w/a.png', imageName: 'a.png', model: '/w/m.ckpt', modelName: 'm',
      face: 0, className: 'happy' }));
    for (const bad of [null, 'a.png', {}, { image: 1, imageName: 'a' }, { image: '/a', imageName: 'a', face: -2 },
      { image: '/a', imageName: 'a', roots: ['/'] }]) assert.equal(explain.isExplainTarget(bad), false);
  });

  it('a stored comparison target: image or dataset mode, each with its own fields', () => {
    const models = { a: { model: '/w/a.ckpt', name: 'a' }, b: { model: '/w/b.ckpt', name: 'b' } };
    assert.ok(compare.isCompareTarget({ ...models, mode: 'image', image: '/w/x.png', imageName: 'x.png' }));
    assert.ok(compare.isCompareTarget({ ...models, mode: 'dataset', data: '/w/d', dataName: 'd' }));
    for (const bad of [{ ...models, mode: 'dataset', image: '/w/x.png', imageName: 'x.png' },
      { ...models, mode: 'image', image: '/w/x.png', imageName: 'x.png', data: '/' },
      { a: models.a, mode: 'dataset', data: '/w/d', dataName: 'd' },
      { ...models, a: { model: 3, name: 'a' }, mode: 'dataset', data: '/w/d', dataName: 'd' }]) {
      assert.equal(compare.isCompareTarget(bad), false, JSON.stringify(bad));
    }
  });

  it('combinators: counts are whole and in range, texts bounded, records exact, null only where allowed', () => {
    assert.deepEqual([0, 3, 4, 2.5, -1, NaN, '2'].map((v) => isCount(0, 3)(v)), [true, true, false, false, false,
      false, false]);
    assert.equal(isText('x'.repeat(4096)), true);
    assert.equal(isText('x'.repeat(4097)), false);
    assert.equal(oneOf(['a', 'b'])('toString'), false);
    assert.equal(orNull(isText)(null), true);
    assert.equal(orNull(isText)(undefined), false);
    const r = isRecord({ a: isText }, { b: isText });
    assert.deepEqual([{ a: '' }, { a: '', b: '' }, { a: '', b: 1 }, { a: '', c: '' }, { b: '' }, ['a']].map(r),
      [true, true, false, false, false, false]);
    assert.equal(r(Object.create({ a: 'inherited' })), false);
    assert.equal(r({ a: '', constructor: '' }), false);
  });
});
