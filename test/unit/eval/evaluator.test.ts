import * as assert from 'node:assert/strict';
import type { EvalBatch, EvaluatorOptions } from '../../../src/trainer/eval/evaluator';
import { Evaluator } from '../../../src/trainer/eval/evaluator';
import { formatEvalReport } from '../../../src/trainer/eval/formatReport';
import type { CamMethodName } from '../../../src/trainer/science/camMethods';
import { PAPER_CLASSES } from '../../../src/trainer/science/labels';
import { assertClose } from '../science/metrics/maps';

const S = 8;
const K = PAPER_CLASSES.length;
const C = 2;
const METHODS: readonly CamMethodName[] = ['cam', 'gradcam', 'gradcam++', 'layercam'];
const OPTIONS: EvaluatorOptions = { labels: PAPER_CLASSES, layers: ['layer4', 'layer5'], camLayer: 'layer5', methods: METHODS };

interface Sample {
  readonly label: number;
  readonly prediction?: number;
  /** Default true. */
  readonly valid?: boolean;
  /** Layer-5 attention: the AU map itself (ATT-COS 1) or a shifted blob (lower). */
  readonly attention?: 'aligned' | 'off';
}

/** A 3×3 AU blob whose position depends on `shift`, 0 elsewhere. */
function blob(shift: number): (x: number, y: number) => number {
  return (x, y) => (x >= 1 + shift && x <= 3 + shift && y >= 2 && y <= 4 ? 1 : 0);
}

function fill(out: Float32Array, offset: number, side: number, f: (x: number, y: number) => number): void {
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) out[offset + y * side + x] = f(x, y);
}

/**
 * A batch of `samples` followed by `padding` garbage rows (NaN maps and logits, label 99), as a padded last batch
 * arrives. CAM layer: channel 0 is the AU blob, channel 1 its complement; the fc rows of the classes that occur as
 * labels are (1, −1), the others (−1, 1), and the gradients are the true class's (w / HW), so the CAM of the true
 * class matches the AU map and that of a class that never is the label is its complement.
 */
function makeBatch(samples: readonly Sample[], padding = 0): EvalBatch {
  const n = samples.length + padding;
  const labels = new BigInt64Array(n).fill(99n);
  const logits = new Float32Array(n * K).fill(NaN);
  const auMaps = new Float32Array(n * S * S).fill(NaN);
  const auValid = new Float32Array(n);
  const layer5 = new Float32Array(n * S * S).fill(NaN);
  const layer4 = new Float32Array(n * 4 * 4).fill(NaN);
  const acts = new Float32Array(n * C * S * S).fill(NaN);
  const grads = new Float32Array(n * C * S * S).fill(NaN);
  samples.forEach((s, i) => {
    labels[i] = BigInt(s.label);
    logits.fill(0, i * K, (i + 1) * K);
    logits[i * K + (s.prediction ?? s.label)] = 5;
    const valid = s.valid ?? true;
    auValid[i] = valid ? 1 : 0;
    if (valid) fill(auMaps, i * S * S, S, blob(0));
    else auMaps.fill(Infinity, i * S * S, (i + 1) * S * S);
    fill(layer5, i * S * S, S, s.attention === 'off' ? blob(3) : blob(0));
    fill(layer4, i * 16, 4, (x, y) => 0.1 * (x + y));
    fill(acts, i * C * S * S, S, blob(0));
    fill(acts, (i * C + 1) * S * S, S, (x, y) => 1 - blob(0)(x, y));
    grads.fill(1 / (S * S), i * C * S * S, (i * C + 1) * S * S);
    grads.fill(-1 / (S * S), (i * C + 1) * S * S, (i + 1) * C * S * S);
  });
  const fc = new Float32Array(K * C);
  for (let k = 0; k < K; k++) fc.set([-1, 1], k * C);
  for (const s of samples) fc.set([1, -1], s.label * C);
  return {
    count: samples.length,
    labels,
    logits,
    attention: { layer4: { data: layer4, height: 4, width: 4 }, layer5: { data: layer5, height: S, width: S } },
    camActs: { data: acts, channels: C, height: S, width: S },
    camGrads: { data: grads, channels: C, height: S, width: S },
    fcWeight: { data: fc, classes: K, channels: C },
    auMaps,
    auSize: S,
    auValid,
    paths: samples.map((_, i) => `img${i}.png`),
  };
}

function evaluate(samples: readonly Sample[], padding = 0, options: EvaluatorOptions = OPTIONS): Evaluator {
  const e = new Evaluator(options);
  e.addBatch(makeBatch(samples, padding));
  return e;
}

// Labels are indices into PAPER_CLASSES: 0 neutral, 1 happy, 2 surprise, 3 fear, 4 anger, 5 disgust, 6 sad.
const CORRECT: readonly Sample[] = [{ label: 1 }, { label: 1, attention: 'off' }, { label: 4 }, { label: 6 }, { label: 2 }];

describe('eval/Evaluator', () => {
  it('scores perfect predictions with accuracy 1 and a diagonal confusion matrix', () => {
    const r = evaluate(CORRECT).result();
    assert.equal(r.samples, 5);
    assert.equal(r.accuracy, 1);
    assert.equal(r.balancedAccuracy, 1);
    assert.deepEqual(r.confusion.labels, PAPER_CLASSES);
    r.confusion.matrix.forEach((row, t) => row.forEach((v, p) => assert.equal(v, t === p ? [0, 2, 1, 0, 1, 0, 1][t] : 0)));
    assert.equal(r.perClassAccuracy.happy, 1);
    assert.equal(r.perClassAccuracy.fear, null);
  });

  it('counts mistakes by true class and keeps the prediction and its confidence', () => {
    const e = evaluate([{ label: 1 }, { label: 1, prediction: 6 }]);
    const r = e.result();
    assert.equal(r.accuracy, 0.5);
    assert.equal(r.confusion.matrix[1]![6], 1);
    assert.equal(r.perClassAccuracy.happy, 0.5);
    const rec = e.samples()[1]!;
    assert.equal(rec.prediction, 'sad');
    assert.equal(rec.path, 'img1.png');
    assertClose(rec.confidence, Math.exp(5) / (Math.exp(5) + K - 1), 1e-6);
  });

  it('computes ATT-COS per layer and CAM-COS for the ground-truth class', () => {
    // The second sample is predicted wrongly: its CAM still uses the true class's row and gradients.
    const r = evaluate([{ label: 1 }, { label: 4, prediction: 2 }, { label: 6, attention: 'off' }]).result();
    assert.deepEqual(r.attCos.keys, ['layer4', 'layer5']);
    assertClose(r.attCos.byKey['layer5']!.perClass.happy!.mean, 1);
    assert.ok(r.attCos.byKey['layer5']!.perClass.sad!.mean! < 0.5);
    assert.deepEqual(r.camCos.keys, METHODS);
    for (const m of METHODS) {
      assertClose(r.camCos.byKey[m]!.perClass.anger!.mean, 1, 1e-6, `${m} CAM-COS`);
      assertClose(r.camCos.byKey[m]!.average, 1, 1e-6, `${m} average`);
    }
  });

  it('localises the CAM layer attention and every CAM at τ, which it reports', () => {
    const r = evaluate([{ label: 1 }, { label: 6, attention: 'off' }], 0, { ...OPTIONS, tau: 0.4 }).result();
    assert.equal(r.tau, 0.4);
    assert.equal(r.localisation.threshold, 0.4);
    assert.deepEqual(r.localisation.maps, ['layer5', ...METHODS]);
    const att = r.localisation.byMap['layer5']!;
    assertClose(att.energyPointingGame!.perClass.happy!.mean, 1);
    assertClose(att.pointingGame!.perClass.happy!.mean, 1);
    assertClose(att.rocAuc!.perClass.happy!.mean, 1);
    assert.equal(att.pointingGame!.perClass.sad!.mean, 0);
    for (const m of METHODS) assertClose(r.localisation.byMap[m]!.relevanceRankAccuracy!.average, 1, 1e-6, m);
  });

  it('localises the attention of the extra layers it is given (a ViT\'s rollout) beside the CAM layer\'s', () => {
    const r = evaluate(CORRECT, 0, { ...OPTIONS, localisedLayers: ['layer4'] }).result();
    assert.deepEqual(r.localisation.maps, ['layer5', 'layer4', ...METHODS]);
    assert.ok(r.localisation.byMap['layer4']!.energyPointingGame!.average !== null);
    assert.match(formatEvalReport(r), /attention layer4/);
    assert.throws(() => new Evaluator({ ...OPTIONS, localisedLayers: ['layer9'] }), /localised layer layer9/);
  });

  it('counts an invalid AU map once and leaves it out of every average', () => {
    const withInvalid = evaluate([...CORRECT, { label: 1, valid: false, attention: 'off' }, { label: 0, valid: false }]);
    const r = withInvalid.result();
    const base = evaluate(CORRECT).result();
    assert.equal(r.invalidAuSamples, 2);
    assert.equal(r.samples, 7);
    assert.equal(r.attCos.byKey['layer5']!.invalid, 2);
    assert.equal(r.attCos.byKey['layer5']!.perClass.happy!.valid, 2);
    assert.equal(r.attCos.byKey['layer5']!.average, base.attCos.byKey['layer5']!.average);
    assert.equal(r.camCos.byKey['gradcam']!.average, base.camCos.byKey['gradcam']!.average);
    const epg = (report: typeof r): number | null => report.localisation.byMap['layer5']!.energyPointingGame!.average;
    assert.equal(epg(r), epg(base));
    assert.equal(withInvalid.samples()[5]!.attCos['layer5'], 'invalid');
    assert.ok(r.worst.every((w) => w.index < 5));
  });

  it('ignores the padding of a batch with count < N', () => {
    const padded = evaluate(CORRECT, 3).result();
    assert.deepEqual(padded, evaluate(CORRECT).result());
  });

  it('accumulates batches and lists the worst valid samples, lowest ATT-COS first', () => {
    const e = new Evaluator(OPTIONS);
    const first: Sample[] = [{ label: 1 }, { label: 2, attention: 'off' }, { label: 3, valid: false }];
    const second = Array.from({ length: 12 }, (_, i): Sample => ({ label: 1 + (i % 6), attention: i === 4 ? 'off' : 'aligned' }));
    e.addBatch(makeBatch(first, 1));
    e.addBatch(makeBatch(second));
    const r = e.result();
    assert.equal(r.samples, 15);
    assert.equal(r.worst.length, 10);
    assert.deepEqual(r.worst.slice(0, 2).map((w) => w.index), [1, 7]);
    const scores = r.worst.map((w) => w.attCos['layer5'] as number);
    assert.deepEqual(scores, [...scores].sort((a, b) => a - b));
    assert.ok(r.worst.every((w) => w.index !== 2));
  });

  it('produces plain JSON', () => {
    const r = evaluate([...CORRECT, { label: 0, valid: false }]).result();
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  it('refuses batches that do not match the options', () => {
    const e = new Evaluator(OPTIONS);
    const b = makeBatch(CORRECT);
    assert.throws(() => e.addBatch({ ...b, camGrads: undefined }), /camGrads/);
    assert.throws(() => e.addBatch({ ...b, fcWeight: undefined }), /fcWeight/);
    assert.throws(() => e.addBatch({ ...b, attention: { layer5: b.attention['layer5']! } }), /layer4/);
    assert.throws(() => e.addBatch({ ...b, logits: b.logits.subarray(1) }), /logits/);
    assert.throws(() => e.addBatch({ ...b, count: 6 }), /count/);
    const badLabel = BigInt64Array.from(b.labels);
    badLabel[4] = 7n;
    assert.throws(() => e.addBatch({ ...b, labels: badLabel }), /label 7/);
    const nanLogits = Float32Array.from(b.logits);
    nanLogits[3 * K] = NaN;
    assert.throws(() => e.addBatch({ ...b, logits: nanLogits }), /finite/);
    // Nothing half-added: the evaluator is still empty.
    assert.equal(e.result().samples, 0);
    // Attention-only evaluation needs no CAM inputs.
    const attOnly = new Evaluator({ ...OPTIONS, methods: [] });
    attOnly.addBatch({ ...b, camActs: undefined, camGrads: undefined, fcWeight: undefined });
    assert.equal(attOnly.result().samples, 5);
  });

  it('refuses inconsistent options', () => {
    assert.throws(() => new Evaluator({ ...OPTIONS, camLayer: 'layer3' }), RangeError);
    assert.throws(() => new Evaluator({ ...OPTIONS, methods: ['gradcam', 'gradcam'] }), RangeError);
    assert.throws(() => new Evaluator({ ...OPTIONS, layers: ['cam', 'layer5'] }), RangeError);
    assert.throws(() => new Evaluator({ ...OPTIONS, tau: NaN }), RangeError);
  });

  it('formats accuracy, the class × (layers + methods) cosine matrix with an Average row, and localisation', () => {
    const r = evaluate([...CORRECT, { label: 0, valid: false }]).result();
    const text = formatEvalReport(r);
    assert.match(text, /Accuracy: 100\.00%/);
    assert.match(text, /^class\s+layer4\s+layer5\s+CAM\s+Grad-CAM\s+Grad-CAM\+\+\s+LayerCAM$/m);
    assert.match(text, /^Average(\s+\d\.\d{3}){6}$/m);
    assert.match(text, /^neutral(\s+—){6}$/m);
    assert.match(text, /^attention layer5\s/m);
    assert.match(text, /Lowest ATT-COS at layer5/);
    // The empty report formats too.
    assert.match(formatEvalReport(new Evaluator(OPTIONS).result()), /^Average(\s+—){6}$/m);
  });
});
