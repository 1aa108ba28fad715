/**
 * What `au-lens inspect` and the editor's "Import ONNX Model…" show about an ONNX classifier before it has a
 * sidecar: its image input and logits, the number of classes, the candidate layers with their shapes and the
 * default choice, and whether the gradient CAMs will work (every op covered) — and the sidecar they write.
 */
import { stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ModelFileError } from '../export/modelDescription';
import { METADATA_KEYS, metadataOf } from '../export/modelMetadata';
import { FileReadError, READ_CAPS, readBoundedFile } from '../io/boundedRead';
import type { Trust } from '../io/modelTrust';
import { checkModelTrust } from '../io/modelTrust';
import type { EngineOptions } from '../onnx/session';
import type { Expression } from '../science/labels';
import { PAPER_CLASSES } from '../science/labels';
import { decodeWithData } from './externalData';
import type { CandidateLayer, ClassifierIo } from './foreignGraph';
import { classCount, classifierIo, defaultLayers, discoverLayers } from './foreignGraph';
import type { Sidecar, SidecarLayer } from './sidecar';
import { parseSidecar, sidecarJson, sidecarPathFor } from './sidecar';
import type { UnsupportedOp } from './opCoverage';
import { gradientBlockers } from './opCoverage';
import { tokenCandidates } from './tokenCandidates';
import type { TokenLayout } from './tokenLayers';

export interface ModelInspection {
  readonly file: string;
  readonly io: ClassifierIo;
  /** K of the [N, K] logits. */
  readonly classes: number;
  /** Spatial feature maps in graph order, each with a readable name (layerDisplayName). */
  readonly layers: readonly (CandidateLayer & { readonly name: string })[];
  /** The values of the default choice: the last map of each resolution (a ResNet's stage outputs). */
  readonly defaults: readonly string[];
  /**
   * Ops the differentiator lacks between the default CAM layer and the logits; empty when the gradient CAMs will
   * work.
   */
  readonly unsupported: readonly UnsupportedOp[];
  /** Where the sidecar goes, and whether one is there already. */
  readonly sidecar: { readonly path: string; readonly exists: boolean };
  /** A vision transformer's token layout; its token layers are among `layers` and are the defaults. */
  readonly tokens?: TokenLayout;
}

export interface InspectOptions extends Trust {
  /** The input side, for models whose H and W are dynamic. */
  readonly size?: number;
}

/** The file's bytes, once the trust rule allows parsing them and they are not a checkpoint. */
async function readModelBytes(file: string, trust: Trust): Promise<Uint8Array> {
  try {
    if ((await checkModelTrust(file, trust)) === 'checkpoint') {
      throw new ModelFileError(file, 'is an AU Lens checkpoint, which describes itself and needs no import');
    }
    const bytes = await readBoundedFile(file, READ_CAPS.modelFile, 'a model file');
    if (bytes.length === 0) throw new ModelFileError(file, 'empty file (0 bytes)');
    return bytes;
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new ModelFileError(file, error.reason === 'folder' ? 'is a folder, not a model file' : error.problem, error);
  }
}

export async function inspectModel(
  file: string,
  options: InspectOptions,
  engine: EngineOptions = {},
): Promise<ModelInspection> {
  const { proto } = await decodeWithData(await readModelBytes(file, options), file);
  if (metadataOf(proto).has(METADATA_KEYS.format)) {
    throw new ModelFileError(
      file,
      'is an AU Lens export, which describes itself and needs no import; select or explain it as it is',
    );
  }
  const io = classifierIo(
    proto,
    file,
    options.size === undefined ? {} : { size: options.size },
    'the sidecar (or pass --size)',
  );
  const { layers: spatial, logits, shapes } = await discoverLayers(proto, file, io, engine);
  const vit = tokenCandidates(proto, shapes, spatial);
  const layers = vit ? [...spatial, ...vit.layers] : spatial;
  const k = classCount(proto, io.logits) ?? (typeof logits[1] === 'number' ? logits[1] : undefined);
  if (logits.length > 0 && logits.length !== 2) {
    throw new ModelFileError(
      file,
      `not an image classifier: output "${io.logits}" is [${logits.join(', ')}], but class scores are [N, K]`,
    );
  }
  if (k === undefined || k < 2) {
    throw new ModelFileError(
      file,
      `not an image classifier: output "${io.logits}" has ${k ?? 'an unknown number of'} classes`,
    );
  }
  if (layers.length === 0) {
    throw new ModelFileError(file, 'the graph has no spatial feature map (N×C×H×W with H, W > 1) to explain');
  }
  const defaults = vit?.defaults ?? defaultLayers(layers).map((l) => l.value);
  const where = sidecarPathFor(file);
  const exists = await stat(where).then(
    () => true,
    () => false,
  );
  return {
    file,
    io,
    classes: k,
    layers: layers.map((l) => ({ ...l, name: layerDisplayName(l.value) })),
    defaults,
    unsupported: gradientBlockers(proto, defaults.at(-1)!),
    sidecar: { path: where, exists },
    ...(vit && { tokens: vit.tokens }),
  };
}

/** The default labels for K outputs: the paper's seven classes when K = 7, otherwise none (the user says). */
export const defaultLabels = (k: number): readonly Expression[] | undefined =>
  k === PAPER_CLASSES.length ? PAPER_CLASSES : undefined;

/**
 * A readable name for a layer value: torch.onnx.export names values by module scope, so
 * "/model/stages.2/stages.2.0/Relu_1_output_0" becomes "stages.2.0.Relu_1".
 */
export function layerDisplayName(value: string): string {
  const parts = value.replace(/_output_\d+$/, '').split('/').filter((p) => p !== '');
  return parts.length === 0 ? value : parts.slice(-2).join('.');
}

export interface SidecarChoice {
  readonly labels: readonly string[];
  /** The layer values; default: the inspection's defaults. */
  readonly layers?: readonly string[];
}

/** The sidecar for the inspected model with the user's choice, checked as a loaded one would be. */
export function sidecarFor(inspection: ModelInspection, choice: SidecarChoice): Sidecar {
  const values = choice.layers ?? inspection.defaults;
  const names = new Set<string>();
  const layers: SidecarLayer[] = values.map((value) => {
    let name = layerDisplayName(value);
    // Two values may shorten to one name; keep names unique with the full value.
    if (names.has(name)) name = value;
    names.add(name);
    return { value, name };
  });
  const known = new Set(inspection.layers.map((l) => l.value));
  const absent = values.find((v) => !known.has(v));
  if (absent !== undefined) {
    throw new ModelFileError(
      inspection.file,
      `has no candidate layer "${absent}"; its candidates: ` +
        `${inspection.layers.map((l) => `${l.value} [${l.shape.join('×')}]`).join(', ')}`,
    );
  }
  if (choice.labels.length !== inspection.classes) {
    throw new ModelFileError(
      inspection.file,
      `has ${inspection.classes} outputs but ${choice.labels.length} labels were given; give one label per output, ` +
        `in output order`,
    );
  }
  return parseSidecar({
    labels: choice.labels,
    input: { name: inspection.io.input, size: inspection.io.size },
    logits: inspection.io.logits,
    layers,
    ...(inspection.tokens && { tokens: inspection.tokens }),
  }, inspection.sidecar.path);
}

/** Writes the sidecar beside the model; refuses to overwrite one unless `overwrite`. */
export async function writeSidecar(inspection: ModelInspection, sidecar: Sidecar, overwrite = false): Promise<string> {
  const where = inspection.sidecar.path;
  try {
    await writeFile(where, sidecarJson(sidecar), { flag: overwrite ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new ModelFileError(
        inspection.file,
        `a sidecar exists already at ${where}; edit it, or overwrite it (--force)`,
        error,
      );
    }
    throw new ModelFileError(
      inspection.file,
      `cannot write the sidecar ${path.basename(where)} (${code ?? String(error)})`,
      error,
    );
  }
  return where;
}

export interface WriteSidecarRequest extends SidecarChoice {
  readonly model: string;
  readonly size?: number;
  readonly overwrite?: boolean;
}

/** Inspects the model again (it may have changed since it was listed) and writes the chosen sidecar. */
export async function writeSidecarFor(
  request: WriteSidecarRequest,
  trust: Trust,
  engine: EngineOptions = {},
): Promise<{ path: string }> {
  const inspection = await inspectModel(
    request.model,
    { trusted: trust.trusted, ...(request.size !== undefined && { size: request.size }) },
    engine,
  );
  return { path: await writeSidecar(inspection, sidecarFor(inspection, request), request.overwrite ?? false) };
}
