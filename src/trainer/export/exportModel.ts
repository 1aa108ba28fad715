/**
 * `au-lens export`: a checkpoint as a standalone ONNX inference model. The graph is the one evaluation uses
 * (graphs/inference.ts) with the weights baked in as initializers named by their PyTorch state_dict keys; the batch
 * dimension is symbolic (dynamicBatch.ts) and the metadata says how to feed and read the model (modelMetadata.ts).
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Tape } from '../autodiff/tape';
import { attentionName, emitInference } from '../graphs/inference';
import { writeFileAtomic } from '../io/atomicFile';
import { presetInfo } from '../models/presets';
import type { ParamStore } from '../models/types';
import { Graph } from '../onnx/graph';
import type { Checkpoint } from '../train/checkpoint';
import { loadModelCheckpoint } from '../train/pretrained';
import { BATCH_DIM, dynamicBatchModel } from './dynamicBatch';
import type { ModelDescription } from './modelDescription';
import { checkpointModel } from './modelDescription';
import type { ExportProvenance } from './modelMetadata';
import { modelMetadata, PRODUCER_VERSION } from './modelMetadata';

/** A graph output as a consumer sees it; 'batch' stands for the symbolic leading dimension. */
export interface ExportedValue {
  readonly name: string;
  readonly shape: readonly (number | typeof BATCH_DIM)[];
}

export interface ExportSummary {
  readonly checkpoint: string;
  readonly out: string;
  readonly bytes: number;
  readonly preset: string;
  readonly labels: readonly string[];
  readonly inputSize: number;
  /** The batch dimension is symbolic: any batch size runs. */
  readonly batch: typeof BATCH_DIM;
  readonly inputs: readonly ExportedValue[];
  readonly outputs: readonly ExportedValue[];
  /** What the user should be told about the checkpoint (an older format), if anything. */
  readonly note?: string;
}

/** The inference graph of `description` with `params` baked in, for one batch size. */
function inferenceGraph(description: ModelDescription, params: ParamStore, batch: number): Graph {
  const g = new Graph(`au_lens_${description.preset}`);
  emitInference(g, new Tape(g), { preset: description.preset, numClasses: description.labels.length, batch }, params);
  return g;
}

/** The ONNX bytes of a model described by `description` with weights `params`. */
export function exportModelBytes(
  description: ModelDescription,
  params: ParamStore,
  provenance: ExportProvenance = {},
): Uint8Array {
  const labels = description.labels.join(', ');
  return dynamicBatchModel((batch) => inferenceGraph(description, params, batch), {
    metadata: modelMetadata(description, provenance),
    producerVersion: PRODUCER_VERSION,
    docString:
      `AU Lens ${description.preset} facial-expression classifier (${labels}) with AU-guided attention; ` +
      'see the au_lens.* metadata for its input and outputs',
  });
}

/** The model's inputs and outputs as the exported file declares them. */
export function exportedIo(description: ModelDescription): { inputs: ExportedValue[]; outputs: ExportedValue[] } {
  const info = presetInfo(description.preset);
  const s = description.inputSize;
  const batched = (name: string, dims: readonly number[]): ExportedValue => ({ name, shape: [BATCH_DIM, ...dims] });
  return {
    inputs: [batched('image', [3, s, s])],
    outputs: [
      batched('logits', [description.labels.length]),
      ...info.layers.map((l) => batched(attentionName(l), info.layerShapes[l]!.slice(1))),
      batched('features', info.layerShapes[info.defaultLayer]!),
    ],
  };
}

function provenanceOf(checkpoint: Checkpoint, file: string): ExportProvenance {
  return {
    checkpoint: path.basename(file),
    epoch: String(checkpoint.epoch),
    step: String(checkpoint.step),
    created_at: checkpoint.createdAt,
    data_manifest: checkpoint.dataManifestHash,
  };
}

/** The checkpoint's model as ONNX bytes (checked against its preset first). */
export function exportCheckpointBytes(
  checkpoint: Checkpoint,
  file: string,
): { bytes: Uint8Array; description: ModelDescription } {
  const { description, params } = checkpointModel(checkpoint, file);
  return { bytes: exportModelBytes(description, params, provenanceOf(checkpoint, file)), description };
}

/**
 * Reads a checkpoint (or a pretrained model by name) and writes its model to `out` atomically: readers see the old
 * file or the whole new one, and nothing is written when the checkpoint cannot be exported.
 */
export async function exportCheckpoint(checkpointFile: string, out: string): Promise<ExportSummary> {
  const existing = await stat(out).catch(() => undefined);
  if (existing?.isDirectory()) throw new Error(`${out} is a folder; give the path of the .onnx file to write`);
  const checkpoint = await loadModelCheckpoint(checkpointFile);
  const { bytes, description } = exportCheckpointBytes(checkpoint, checkpointFile);
  await writeFileAtomic(out, bytes);
  return {
    checkpoint: checkpointFile,
    out,
    bytes: bytes.length,
    preset: description.preset,
    labels: description.labels,
    inputSize: description.inputSize,
    batch: BATCH_DIM,
    ...exportedIo(description),
    ...(checkpoint.note !== undefined && { note: checkpoint.note }),
  };
}
