/**
 * `au-lens eval` on an ONNX model — one trained elsewhere with its sidecar, or one AU Lens exported: the images of a
 * dataset through the imported model (one image per run, as its sessions are built for batch 1), fed to the same
 * Evaluator as a checkpoint's batches. The model knows no training split: a dataset with an official split is
 * scored on its test part (or the part asked for), any other on every image; data without some of the model's
 * classes is scored over the classes it has (logits, head rows and labels cut to them), as evaluateCheckpoint does.
 */
import type { Batch } from '../data/loader';
import { evaluationBatches } from '../eval/chunkedBatches';
import type { EvalBatch } from '../eval/evaluator';
import { Evaluator } from '../eval/evaluator';
import { evaluationOf, FaithfulnessEvaluator } from '../eval/faithfulnessEvaluator';
import type { CheckpointEvaluation, EvaluateOptions, EvaluationHooks } from '../eval/types';
import { openModel } from '../explain/modelFile';
import { extraLocalisedLayers } from '../models/vitPresets';
import type { ModelOutputs, OpenModel } from '../explain/openModel';
import type { SplitName } from '../science/split';
import { DEFAULT_FRACTIONS, readRunDataset, samplesOf, splitDataset } from '../train/dataSplit';
import { CAM_METHOD_NAMES } from '../science/camMethods';
import type { Expression } from '../science/labels';

/** Rows `keep` of a row-major K×C matrix, or columns `keep` of an N×K one (`perRow` = C or K). */
function pickRows(data: Float32Array, perRow: number, keep: readonly number[]): Float32Array {
  const out = new Float32Array(keep.length * perRow);
  keep.forEach((k, i) => out.set(data.subarray(k * perRow, (k + 1) * perRow), i * perRow));
  return out;
}

/** One loader batch run image by image through the model, as the evaluator's batch (only the real samples). */
async function runBatch(
  model: OpenModel,
  batch: Batch,
  size: number,
  keep: readonly number[],
  needsGrads: boolean,
): Promise<EvalBatch> {
  const n = batch.count;
  const plane = 3 * size * size;
  const outs: ModelOutputs[] = [];
  for (let i = 0; i < n; i++) {
    const label = keep[Number(batch.labels[i])]!;
    outs.push(await model.run(batch.image.subarray(i * plane, (i + 1) * plane), label));
  }
  const concat = (parts: readonly Float32Array[]): Float32Array => {
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const acts = outs[0]!.activations;
  const k = model.description.labels.length;
  return {
    count: n,
    labels: batch.labels.slice(0, n),
    logits: concat(outs.map((o) => Float32Array.from(keep, (c) => o.logits[c]!))),
    attention: Object.fromEntries(
      model.description.attentionLayers.map((layer) => {
        const first = outs[0]!.attention.get(layer)!;
        return [
          layer,
          { data: concat(outs.map((o) => o.attention.get(layer)!.data)), height: first.height, width: first.width },
        ];
      }),
    ),
    camActs: {
      data: concat(outs.map((o) => o.activations.data)),
      channels: acts.channels,
      height: acts.height,
      width: acts.width,
    },
    ...(needsGrads && {
      camGrads: {
        data: concat(outs.map((o) => o.gradients!)),
        channels: acts.channels,
        height: acts.height,
        width: acts.width,
      },
    }),
    fcWeight: {
      data: pickRows(model.fcWeight, model.fcWeight.length / k, keep),
      classes: keep.length,
      channels: acts.channels,
    },
    auMaps: batch.auMaps.subarray(0, n * size * size),
    auSize: size,
    auValid: batch.auValid.subarray(0, n),
    paths: batch.paths,
  };
}

export async function evaluateOnnxModel(
  options: EvaluateOptions,
  hooks: EvaluationHooks,
): Promise<CheckpointEvaluation> {
  const model = await openModel(options.checkpoint, { threads: options.threads }, { trusted: options.trusted });
  try {
    const d = model.description;
    const dataset = await readRunDataset(options.data, {
      classes: d.labels, ...(hooks.signal !== undefined && { signal: hooks.signal }),
    });
    const warnings = [...dataset.warnings];
    let split: SplitName | 'all' = 'all';
    if (dataset.hasOfficialSplit) split = options.split ?? 'test';
    else if (options.split !== undefined && options.split !== 'all') {
      warnings.push(
        `a model trained elsewhere has no recorded split: every image of ${options.data} is evaluated, not the ` +
          `"${options.split}" split`,
      );
    }
    const data = dataset.hasOfficialSplit
      ? splitDataset(dataset, { seed: 0, fractions: DEFAULT_FRACTIONS, split: 'official' })
      : { dataset, split: { train: [], val: [], test: [] } };
    const labels: Expression[] = d.labels.filter((l) => dataset.classes.includes(l));
    const absent = d.labels.filter((l) => !labels.includes(l));
    if (absent.length > 0) {
      warnings.push(
        `${options.data} has no ${absent.join(', ')} images: the model is scored over its ${labels.length} other ` +
          `classes (argmax over their outputs only)`,
      );
    }
    const keep = labels.map((l) => d.labels.indexOf(l));
    const batches = evaluationBatches(samplesOf(data, split), split, {
      labels, inputSize: d.inputSize, crop: model.crop, codebook: d.codebook, normalisation: d.normalisation,
    }, options, hooks);
    const methods = (options.methods ?? CAM_METHOD_NAMES).filter((m) => model.methods.includes(m));
    for (const u of model.unavailable) {
      if ((options.methods ?? CAM_METHOD_NAMES).includes(u.method))
        warnings.push(`${u.method} not computed: ${u.reason}`);
    }
    const evaluator = new Evaluator({
      labels, layers: d.attentionLayers, camLayer: model.camLayer, methods,
      localisedLayers: extraLocalisedLayers(d.attentionLayers, model.camLayer),
    });
    const faithfulness = options.faithfulness && new FaithfulnessEvaluator({
      labels, codebook: d.codebook, inputSize: d.inputSize, camLayer: model.camLayer, methods,
      classifier: await model.classifier(), options: options.faithfulness,
      sanity: { unavailable: 'an ONNX model\'s weights are not re-drawn; evaluate the checkpoint it came from' },
    });
    const needsGrads = methods.some((m) => m !== 'cam');
    for await (const batch of batches) {
      hooks.signal?.throwIfAborted();
      const evalBatch = await runBatch(model, batch, d.inputSize, keep, needsGrads);
      evaluator.addBatch(evalBatch);
      await faithfulness?.addBatch(batch, evalBatch, batch.samples, undefined,
        hooks.signal ? { signal: hooks.signal } : {});
    }
    return evaluationOf(options, split, warnings, batches.corrupt, evaluator, faithfulness);
  } finally {
    await model.release();
  }
}
