/**
 * The faithfulness of one explained face (`au-lens explain`, the explanation panel): its AU regions and maps at
 * the model's input, every perturbed image through the model's batched classifier, and, when asked, the sanity
 * check against the same model with its top layers re-drawn (checkpoints and built-in models only: an ONNX file's
 * weights are not ours to re-draw).
 */
import { CAM_METHODS, fcRow } from '../cam';
import type { FaceGeometry } from '../data/prepare';
import { frameMapToInput } from '../data/prepare';
import { ausForExpression } from '../science/codebook';
import { FACE_FRAME_SIZE, landmarksInFrame } from '../science/faceFrame';
import { BLUR_SIGMA_224, blurSigmaFor } from '../science/metrics/faithfulness/blur';
import { DEFAULT_CONTROL_DRAWS } from '../science/metrics/faithfulness/auOcclusion';
import type { RunOptions } from '../science/metrics/faithfulness/classifier';
import { DEFAULT_STEPS } from '../science/metrics/faithfulness/deletion';
import type { FaceRegions } from '../science/metrics/faithfulness/regions';
import { faceRegions, moveRegions } from '../science/metrics/faithfulness/regions';
import { ROAD_PERCENTILES } from '../science/metrics/faithfulness/road';
import { randomisationSimilarity, SANITY_RHO_THRESHOLD } from '../science/metrics/faithfulness/sanity';
import type { Skipped } from '../science/metrics/faithfulness/types';
import { skipped } from '../science/metrics/faithfulness/types';
import { deriveSeed } from '../science/random';
import type { Heatmap } from '../science/types';
import type { Explanation } from './explanation';
import type { FaceFaithfulness, FaithfulnessSettings } from './faceFaithfulness';
import { planFace, scoreFaces } from './faceFaithfulness';
import { attentionMapKey, faithfulnessMaps, mapTitle, modelMaps, RANDOM_MAP } from './faithfulnessMaps';
import { deletionReading, faithfulnessReading, occlusionReading } from './faithfulnessReading';
import type { AuReliance, FaceSanity, FaithfulnessReport, MapFaithfulnessReport } from '../science/faithfulnessReport';
import type { OpenModel } from './openModel';

/** The seed of one face's control regions, tie orders, ROAD noise, random map and re-drawn weights. */
export const FAITHFULNESS_SEED = 19;
export const RANDOM_MAP_STREAM = 4;
const REDRAW_STREAM = 5;

export interface FaithfulnessRequest {
  readonly settings: FaithfulnessSettings;
  /** Also run the model-randomisation check (opens a second model: slower). */
  readonly sanity: boolean;
  readonly seed?: number;
  /** The map the reading's deletion sentence is about; default the CAM layer's attention. */
  readonly readingMap?: string;
}

/** The class's AU regions and the skin, drawn in the paper's frame and moved to the input as the AU map is. */
export function regionsAtInput(
  geometry: FaceGeometry | undefined,
  inputSize: number,
  classAus: readonly number[],
  codebookAus: readonly number[],
): FaceRegions | Skipped {
  const regions = faceRegions(geometry?.landmarks, FACE_FRAME_SIZE, FACE_FRAME_SIZE, classAus, codebookAus);
  if ('status' in regions || !geometry) return regions;
  return moveRegions(regions, (m) => frameMapToInput(m, inputSize, geometry.auFrame, geometry.frame, geometry.crop));
}

/** Drop and attention share per AU of the class, largest drop first. */
function auRows(explanation: Explanation, face: FaceFaithfulness, camLayer: string): AuReliance[] {
  const { report } = explanation;
  const occlusion = face.auOcclusion?.status === 'ok' ? face.auOcclusion : undefined;
  const shares = report.perAuEnergyShare[camLayer] ?? null;
  const rows = report.explained.aus.map(({ au, facs, name }) => ({
    au, facs, name,
    drop: occlusion?.aus.find((a) => a.facs === facs)?.drop ?? null,
    share: shares?.find((s) => s.facs === facs)?.share ?? null,
    pixels: occlusion?.aus.find((a) => a.facs === facs)?.pixels ?? 0,
  }));
  return rows.sort((a, b) => (b.drop ?? -Infinity) - (a.drop ?? -Infinity) || a.facs - b.facs);
}

async function sanityOf(
  model: OpenModel,
  explanation: Explanation,
  trained: ReadonlyMap<string, Heatmap>,
  seed: number,
): Promise<FaceSanity | { unavailable: string }> {
  if (!model.randomised) {
    return { unavailable: 'an ONNX model\'s weights cannot be re-drawn; run the check on the checkpoint it came from' };
  }
  const twin = await model.randomised(deriveSeed(seed, REDRAW_STREAM));
  try {
    const labels = model.description.labels;
    const target = labels.indexOf(explanation.report.explained.class);
    const out = await twin.model.run(explanation.maps.input, target);
    const classWeights = fcRow(twin.model.fcWeight, labels.length, out.activations.channels, target);
    const cams = new Map([...explanation.maps.cams.keys()].map((m) => [m, CAM_METHODS[m].cam.explain({
      activations: out.activations, classWeights, ...(out.gradients && { gradients: out.gradients }),
    })]));
    const randomised = modelMaps({
      size: model.description.inputSize, camLayer: model.camLayer, attention: out.attention.get(model.camLayer)!, cams,
    });
    const rho = Object.fromEntries([...trained].map(([key, map]) =>
      [key, randomisationSimilarity(map, randomised.get(key)!)]));
    return { fromLayer: twin.fromLayer, redrawn: twin.redrawn, seed, rho, threshold: SANITY_RHO_THRESHOLD };
  } finally {
    await twin.model.release();
  }
}

/** The faithfulness of an explanation made with `model`. */
export async function explanationFaithfulness(
  model: OpenModel,
  explanation: Explanation,
  request: FaithfulnessRequest,
  options: RunOptions = {},
): Promise<FaithfulnessReport> {
  const started = performance.now();
  const { report, maps } = explanation;
  const d = model.description;
  const size = d.inputSize;
  const seed = request.seed ?? FAITHFULNESS_SEED;
  const className = report.explained.class;
  const geometry = {
    landmarks: landmarksInFrame(maps.face.landmarks, maps.auFrame), auFrame: maps.auFrame, frame: maps.frame,
    crop: model.crop,
  };
  const regions = regionsAtInput(geometry, size, ausForExpression(d.codebook, className),
    d.codebook.actionUnits.map((a) => a.facs));
  const sources = { size, camLayer: model.camLayer, attention: maps.attention.get(model.camLayer)!, cams: maps.cams };
  const invalid = report.auMap.valid ? undefined : report.auMap;
  const auMap = maps.auInputMap ?? skipped((invalid?.reason ?? 'outside-image') as Skipped['reason'],
    invalid?.detail ?? 'the AU map is empty at the model\'s input');
  const trained = modelMaps(sources);
  const mapSet = faithfulnessMaps(trained, auMap, size, deriveSeed(seed, RANDOM_MAP_STREAM));
  const image = { channels: 3, width: size, height: size, data: maps.input };
  const planned = planFace({ image, labels: d.labels, className, regions, maps: mapSet, seed }, request.settings);
  const [face] = await scoreFaces(await model.classifier(), [planned], options);
  const scored = face!;
  const sanity = request.sanity ? await sanityOf(model, explanation, trained, seed) : null;

  const aus = auRows(explanation, scored, model.camLayer);
  const mapReports: Record<string, MapFaithfulnessReport> = Object.fromEntries(
    Object.entries(scored.maps).map(([key, m]) => [key, { title: mapTitle(key), ...m }]));
  const readingMap = request.readingMap ?? attentionMapKey(model.camLayer);
  const reading = faithfulnessReading([
    occlusionReading(className, scored.auOcclusion ?? null, aus),
    deletionReading(mapTitle(readingMap), scored.maps[readingMap]?.deletion, scored.maps[RANDOM_MAP]?.deletion),
  ]);
  const { settings } = request;
  return {
    class: className,
    settings: {
      blurSigma: blurSigmaFor(size),
      blurSigma224: BLUR_SIGMA_224,
      controlDraws: DEFAULT_CONTROL_DRAWS,
      steps: settings.deletion ? settings.steps ?? DEFAULT_STEPS : null,
      percentiles: settings.road ? settings.percentiles ?? ROAD_PERCENTILES : null,
      seed,
    },
    auOcclusion: scored.auOcclusion ?? null,
    aus,
    maps: mapReports,
    sanity,
    reading,
    ms: performance.now() - started,
  };
}
