import * as assert from 'node:assert/strict';
import { compareEvaluations, reusableEvaluation } from '../../../src/extension/compare/datasetComparison';
import { pairMaps } from '../../../src/extension/compare/mapPairs';
import type { EvalImageRecord, EvalRunResult } from '../../../src/trainer/eval/evalFile';
import type { Expression } from '../../../src/trainer/science/labels';
import type { SampleFaithfulness } from '../../../src/trainer/science/report';
import type { ViewMap } from '../../../src/webview/protocol/explain';

function evaluation(layers: readonly string[], images: readonly EvalImageRecord[]): EvalRunResult {
  return { report: { layers }, images } as unknown as EvalRunResult;
}

function record(path: string, label: Expression, prediction: Expression, attCos: Record<string, number | null>): EvalImageRecord {
  return { path, label, prediction, confidence: 0.9, attCos, camCos: {} };
}

describe('compare/datasetComparison', () => {
  it('pairs two evaluations by path, compares layers by name and counts the unpaired images', () => {
    const a = evaluation(['layer3', 'layer4'], [
      record('/d/happy/1.png', 'happy', 'happy', { layer3: 0.2, layer4: 0.5 }),
      record('/d/sad/2.png', 'sad', 'happy', { layer3: 0.1, layer4: 0.3 }),
      record('/d/sad/3.png', 'sad', 'sad', { layer3: 0.1, layer4: 0.3 }),
    ]);
    const b = evaluation(['layer3', 'layer4'], [
      record('/d/sad/2.png', 'sad', 'sad', { layer3: 0.3, layer4: 0.6 }),
      record('/d/happy/1.png', 'happy', 'happy', { layer3: 0.2, layer4: 0.7 }),
      record('/d/fear/9.png', 'fear', 'fear', { layer3: 0.9, layer4: 0.9 }),
    ]);
    const r = compareEvaluations(a, b, { resamples: 100 });
    assert.equal(r.comparison.n, 2);
    assert.equal(r.unpaired, 2);
    assert.equal(r.layers.by, 'name');
    assert.equal(r.comparison.mcnemar.c, 1);
    assert.deepEqual(r.comparison.flips.map((f) => [f.path, f.kind]), [['/d/sad/2.png', 'wrong-to-right']]);
    const layer4 = r.comparison.attCos.find((d) => d.layer.a === 'layer4')!;
    assert.ok(Math.abs(layer4.all!.value - (0.2 + 0.3) / 2) < 1e-9);
    assert.match(r.reading, /^No clear difference in accuracy: \+50\.0 points \[0\.0, 100\.0\], McNemar p = 1$/);
  });

  it('pairs the faithfulness values: Δ AU selectivity and Δ deletion AUC per map, the attention maps of both CAM layers', () => {
    const values = (selectivity: number | 'no-aus', attention: string, deletion: number): SampleFaithfulness => ({
      auSelectivity: selectivity, controlDrop: 0, auReliance: {},
      maps: { [attention]: { deletion }, 'cam:cam': { deletion: deletion + 0.1 }, random: { deletion: 0.5 } },
    });
    const summary = (attention: string, title: string): unknown => ({ maps: { [attention]: { title }, 'cam:cam': { title: 'CAM' },
      random: { title: 'random map' } } });
    const withValues = (layer: string, rows: [string, Expression, number | 'no-aus', number][]): EvalRunResult => ({
      report: { layers: [layer], faithfulness: summary(`attention:${layer}`, `${layer} attention`) },
      images: rows.map(([p, label, sel, del]) => ({ ...record(p, label, label, { [layer]: 0.5 }), faithfulness: values(sel, `attention:${layer}`, del) })),
    }) as unknown as EvalRunResult;
    const a = withValues('stage3', [['/d/happy/1.png', 'happy', 0.1, 0.4], ['/d/sad/2.png', 'sad', 0.2, 0.3], ['/d/neutral/3.png', 'neutral', 'no-aus', 0.2]]);
    const b = withValues('dense3', [['/d/happy/1.png', 'happy', 0.3, 0.2], ['/d/sad/2.png', 'sad', 0.4, 0.2], ['/d/neutral/3.png', 'neutral', 'no-aus', 0.2]]);
    const r = compareEvaluations(a, b, { resamples: 100 });
    assert.deepEqual(r.faithfulness!.map((d) => [d.key, d.title, d.better]), [
      ['auSelectivity', 'AU selectivity', 'higher'], ['attention', 'Deletion AUC · stage3 attention → dense3 attention', 'lower'],
      ['cam:cam', 'Deletion AUC · CAM', 'lower'], ['random', 'Deletion AUC · random map', 'lower']]);
    const [sel, att, , random] = r.faithfulness!;
    assert.ok(Math.abs(sel!.all!.value - 0.2) < 1e-9 && sel!.all!.n === 2, 'neutral (no AUs) is left out');
    assert.equal(sel!.perClass['neutral'], null);
    assert.ok(Math.abs(att!.all!.value - (-0.2 - 0.1 + 0) / 3) < 1e-9);
    assert.equal(random!.all!.value, 0);
    // Without faithfulness on one side there is nothing to pair.
    assert.equal(compareEvaluations(a, evaluation(['dense3'], b.images.map(({ faithfulness: _, ...rest }) => rest))).faithfulness, null);
  });

  it('says so when no image was evaluated by both models', () => {
    const a = evaluation(['layer4'], [record('/x/happy/1.png', 'happy', 'happy', { layer4: 0.5 })]);
    const b = evaluation(['layer4'], [record('/y/happy/1.png', 'happy', 'happy', { layer4: 0.5 })]);
    assert.throws(() => compareEvaluations(a, b), /no image was evaluated by both models \(1 by A, 1 by B\): were they given the same folder\?/);
  });
});

describe('compare/reusableEvaluation (a comparison restored after a reload)', () => {
  const saved = (fields: Record<string, unknown>, times = { fileTime: 2000, modelTime: 1000 }): Parameters<typeof reusableEvaluation>[0] => ({
    file: '/runs/a/eval-faces.json', ...times,
    text: JSON.stringify({
      format: 'au-lens-eval', version: 1, model: '/runs/a/best.ckpt', data: '/ws/faces', split: 'all', images: [],
      report: { labels: ['happy'], layers: ['stage3'], confusion: { matrix: [[1]] }, attCos: { byKey: {} }, camCos: { byKey: {} } },
      ...fields,
    }),
  });

  it('reuses an evaluation of every image of the folder saved after the model changed', () => {
    assert.equal(reusableEvaluation(saved({}), '/runs/a/best.ckpt', '/ws/faces')?.model, '/runs/a/best.ckpt');
  });

  it('evaluates again for a retrained model, another folder or model, a test split, or a damaged file', () => {
    assert.equal(reusableEvaluation(saved({}, { fileTime: 1000, modelTime: 2000 }), '/runs/a/best.ckpt', '/ws/faces'), undefined);
    assert.equal(reusableEvaluation(saved({}), '/runs/a/best.ckpt', '/ws/other'), undefined);
    assert.equal(reusableEvaluation(saved({}), '/runs/a/last.ckpt', '/ws/faces'), undefined);
    assert.equal(reusableEvaluation(saved({ split: 'test' }), '/runs/a/best.ckpt', '/ws/faces'), undefined);
    assert.equal(reusableEvaluation({ ...saved({}), text: '{"format":"au-lens-eval"' }, '/runs/a/best.ckpt', '/ws/faces'), undefined);
    // Faithfulness asked for (auLens.evaluation.faithfulness) and not in the file.
    assert.equal(reusableEvaluation(saved({}), '/runs/a/best.ckpt', '/ws/faces', true), undefined);
  });
});

describe('compare/mapPairs', () => {
  const map = (id: string, kind: ViewMap['kind'], key: string): ViewMap => ({ id, kind, key, title: `${key} title`, side: 1, data: new Float32Array(1) });

  it('pairs the AU map and CAMs by id and attention through the layer match', () => {
    const a = [map('au', 'au', 'au'), map('attention:layer1', 'attention', 'layer1'), map('attention:layer4', 'attention', 'layer4'), map('cam:gradcam', 'cam', 'gradcam')];
    const b = [map('au', 'au', 'au'), map('attention:dense0', 'attention', 'dense0'), map('attention:dense3', 'attention', 'dense3'), map('cam:gradcam', 'cam', 'gradcam'), map('cam:layercam', 'cam', 'layercam')];
    const { layers, pairs } = pairMaps(a, b);
    assert.equal(layers.by, 'position');
    assert.deepEqual(pairs.map((p) => [p.id, p.a, p.b]), [
      ['au', 'au', 'au'],
      ['attention:first: layer1 / dense0', 'attention:layer1', 'attention:dense0'],
      ['attention:last: layer4 / dense3', 'attention:layer4', 'attention:dense3'],
      ['cam:gradcam', 'cam:gradcam', 'cam:gradcam'],
    ]);
  });
});
