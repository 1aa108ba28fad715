/**
 * The faithfulness metrics on a model built with the graph builder and run by ONNX Runtime, as eval/ and explain/
 * will run them: the matched filter of models.ts as one Gemm, static batch 8 (the last batch padded). AU occlusion
 * and deletion/insertion of one face share the batches, and agree with the plain-JS model to float32 rounding.
 */
import * as assert from 'node:assert/strict';
import { ausForExpression, codebookPreset } from '../../../../../src/trainer/science/codebook';
import type { AuOcclusion, AuOcclusionResult } from '../../../../../src/trainer/science/metrics/faithfulness/auOcclusion';
import { planAuOcclusion } from '../../../../../src/trainer/science/metrics/faithfulness/auOcclusion';
import type { Classifier } from '../../../../../src/trainer/science/metrics/faithfulness/classifier';
import { runProbes } from '../../../../../src/trainer/science/metrics/faithfulness/classifier';
import type { DeletionInsertion, DeletionInsertionResult } from '../../../../../src/trainer/science/metrics/faithfulness/deletion';
import { planDeletionInsertion } from '../../../../../src/trainer/science/metrics/faithfulness/deletion';
import { faceRegions } from '../../../../../src/trainer/science/metrics/faithfulness/regions';
import { syntheticFace } from '../../../../helpers/syntheticFace';
import { maxAbsDiff } from '../../../../helpers/runOp';
import { checkerImage, linearClassifier, matchedFilter } from './models';
import { linearGraph, onnxClassifier } from './onnxModels';

const SIZE = 64;
const codebook = codebookPreset('paper');
const regions = faceRegions(syntheticFace(SIZE), SIZE, SIZE, ausForExpression(codebook, 'happy'), codebook.actionUnits.map((a) => a.facs));
assert.ok(!('status' in regions));
const au12 = regions.aus.find((a) => a.facs === 12)!.mask;
const model = matchedFilter(au12);
const image = checkerImage(SIZE);

async function suite(classifier: Classifier): Promise<[AuOcclusion, DeletionInsertion]> {
  const labels = classifier.labels;
  const map = { width: SIZE, height: SIZE, data: Float32Array.from(au12.data) };
  const [occlusion, curves] = await runProbes<AuOcclusionResult | DeletionInsertionResult>(classifier, [
    planAuOcclusion({ image, labels, className: 'happy', regions }),
    planDeletionInsertion({ image, map, labels, className: 'happy' }),
  ]);
  assert.equal(occlusion!.status, 'ok');
  assert.equal(curves!.status, 'ok');
  return [occlusion as AuOcclusion, curves as DeletionInsertion];
}

describe('metrics/faithfulness on ONNX Runtime (graph-builder model)', function () {
  this.timeout(30000);

  it('attributes the drop to AU12 and none to the control, as the plain-JS model does', async () => {
    const onnx = await onnxClassifier(linearGraph(model, 8), model.labels, 3, SIZE, 8);
    try {
      const [occlusion, curves] = await suite(onnx);
      const [jsOcclusion, jsCurves] = await suite(linearClassifier(model));
      assert.ok(occlusion.auReliance['AU12']! > 0.4);
      for (const d of occlusion.control!.drops) assert.ok(Math.abs(d) < 1e-5, `control drop ${d}`);
      assert.ok(curves.deletion.auc < 0.6, `deletion AUC ${curves.deletion.auc}`);
      const drops = (o: AuOcclusion): number[] => [...o.aus.map((a) => a.drop!), ...o.control!.drops];
      assert.ok(maxAbsDiff(drops(occlusion), drops(jsOcclusion)) < 1e-5);
      assert.ok(maxAbsDiff(curves.deletion.probabilities, jsCurves.deletion.probabilities) < 1e-5);
      assert.ok(maxAbsDiff(curves.insertion.probabilities, jsCurves.insertion.probabilities) < 1e-5);
    } finally {
      await onnx.release();
    }
  });
});
