/**
 * One model run on one face scored as the paper scores it (Belharbi et al. 2024, §4 and Tables 1–2): class
 * probabilities, CAMs, ATT-COS and CAM-COS against the explained expression's AU map, localisation and per-AU
 * energy share, and a one-line reading. Pure apart from the CAM arithmetic.
 */
import type { CamInput } from '../cam';
import { CAM_METHODS, fcRow } from '../cam';
import { frameMapToInput } from '../data/prepare';
import { extraLocalisedLayers } from '../models/vitPresets';
import type { DetectedFace } from '../io/landmarks';
import type { CamMethodName } from '../science/camMethods';
import { ausForExpression } from '../science/codebook';
import type { FaceFrame } from '../science/faceFrame';
import { FACE_FRAME_SIZE, landmarksInFrame, moveFrameMap, sameFrame } from '../science/faceFrame';
import type { AuHeatmap } from '../science/heatmap';
import { buildAuHeatmap } from '../science/heatmap';
import { attentionCosine, camCosine, prepareAttention, prepareCam } from '../science/metrics/cosine';
import type { AuEnergyShare, LocalisationReport } from '../science/metrics/localisation';
import { DEFAULT_MASK_THRESHOLD, localisationReport } from '../science/metrics/localisation';
import { argmax, softmax } from '../science/metrics/scores';
import type { Heatmap } from '../science/types';
import type { AuShare, ExplanationMaps, ExplanationReport, LocalisationScores } from './explanation';
import type { ModelOutputs, OpenModel } from './openModel';

interface ScoreInput {
  readonly model: Pick<OpenModel, 'description' | 'camLayer' | 'methods' | 'unavailable' | 'fcWeight' | 'crop'>;
  readonly outputs: ModelOutputs;
  /** The requested class index, or PREDICTED_CLASS. */
  readonly target: number;
  readonly face: DetectedFace;
  /** The square the model saw. */
  readonly frame: FaceFrame;
  /** The paper's face frame, where AU maps are built (default: `frame`). */
  readonly auFrame?: FaceFrame;
}

type ScoredReport = Omit<ExplanationReport, 'image' | 'model' | 'face' | 'timingsMs'>;

const auLabel = (facs: number): string => `AU${facs}`;

/** The localisation scores alone: the report keeps the per-AU shares apart, with FACS names. */
function withoutShares(full: LocalisationReport<number>): LocalisationScores {
  const {
    threshold,
    tolerance,
    topK,
    maskPixels,
    totalPixels,
    pointingGame,
    energyPointingGame,
    relevanceMassAccuracy,
    relevanceRankAccuracy,
    topKIntersection,
    rocAuc,
  } = full;
  return {
    threshold,
    tolerance,
    topK,
    maskPixels,
    totalPixels,
    pointingGame,
    energyPointingGame,
    relevanceMassAccuracy,
    relevanceRankAccuracy,
    topKIntersection,
    rocAuc,
  };
}

/** Scores, maps and metrics of one run; pure apart from the CAM arithmetic. */
export function scoreExplanation(input: ScoreInput): {
  report: ScoredReport;
  maps: Omit<ExplanationMaps, 'image' | 'frame' | 'auFrame' | 'face' | 'input'>;
} {
  const { model, outputs, target, face, frame } = input;
  // AU maps are drawn in the paper's frame, where its constants hold, and seen from the model's own crop.
  const auFrame = input.auFrame ?? frame;
  const d = model.description;
  const s = d.inputSize;
  if (!outputs.logits.every(Number.isFinite)) {
    throw new Error('the model produced non-finite scores (diverged weights?); explain another checkpoint');
  }
  const probabilities = softmax(outputs.logits);
  const predicted = argmax(probabilities);
  const explained = target >= 0 ? target : (outputs.explained ?? predicted);
  const explainedClass = d.labels[explained]!;
  const auNames = new Map(d.codebook.actionUnits.map((a) => [a.facs, a.name]));
  const aus = ausForExpression(d.codebook, explainedClass);

  const heatmap: AuHeatmap = buildAuHeatmap(
    landmarksInFrame(face.landmarks, auFrame),
    FACE_FRAME_SIZE,
    FACE_FRAME_SIZE,
    aus,
  );
  const auFrameMap = !heatmap.valid
    ? undefined
    : sameFrame(auFrame, frame)
      ? heatmap.map
      : moveFrameMap(heatmap.map, auFrame, frame, FACE_FRAME_SIZE);
  const auInputMap = heatmap.valid ? frameMapToInput(heatmap.map, s, auFrame, frame, model.crop) : undefined;
  const regions = heatmap.valid
    ? heatmap.perAu.map((a) => ({ facs: a.facs, map: frameMapToInput(a.map, s, auFrame, frame, model.crop) }))
    : [];

  const cams = new Map<CamMethodName, Heatmap>();
  const camInput: CamInput = {
    activations: outputs.activations,
    ...(outputs.gradients && { gradients: outputs.gradients }),
    classWeights: fcRow(model.fcWeight, d.labels.length, outputs.activations.channels, explained),
  };
  for (const method of model.methods) cams.set(method, CAM_METHODS[method].cam.explain(camInput));

  const attCos: Record<string, number | null> = {};
  for (const [layer, att] of outputs.attention) attCos[layer] = auInputMap ? attentionCosine(att, auInputMap) : null;
  const camCos: Record<string, number | null> = {};
  for (const [method, cam] of cams) camCos[method] = auInputMap ? camCosine(cam, auInputMap) : null;

  // The CAM layer's attention (and a ViT's rollout) and every CAM, at the AU map's size as the metrics compare them.
  const localised = new Map<string, Heatmap>(
    [model.camLayer, ...extraLocalisedLayers([...outputs.attention.keys()], model.camLayer)]
      .map((layer) => [layer, prepareAttention(outputs.attention.get(layer)!, s, s)]),
  );
  for (const [method, cam] of cams) localised.set(method, prepareCam(cam, s, s));
  const perAuEnergyShare: Record<string, AuShare[] | null> = {};
  const localisation: Record<string, LocalisationScores | null> = {};
  for (const [key, map] of localised) {
    const full = auInputMap ? localisationReport(map, auInputMap, regions) : null;
    const shares = full?.perAuEnergyShare ?? null;
    perAuEnergyShare[key] =
      shares &&
      shares.map((a: AuEnergyShare<number>) => ({
        au: auLabel(a.facs),
        facs: a.facs,
        name: auNames.get(a.facs) ?? '',
        share: a.share,
        pixels: a.pixels,
      }));
    localisation[key] = full && withoutShares(full);
  }

  const cosineNote = heatmap.valid ? null : `no AU map for ${explainedClass}: ${heatmap.detail}`;
  const report: ScoredReport = {
    scores: Object.fromEntries(d.labels.map((l, i) => [l, probabilities[i]!])),
    predicted: { class: d.labels[predicted]!, probability: probabilities[predicted]! },
    explained: {
      class: explainedClass,
      probability: probabilities[explained]!,
      requested: target >= 0,
      aus: aus.map((facs) => ({ au: auLabel(facs), facs, name: auNames.get(facs) ?? '' })),
    },
    auMap: heatmap.valid ? { valid: true } : { valid: false, reason: heatmap.reason, detail: heatmap.detail },
    attCos,
    camCos,
    cosineNote,
    methods: { computed: [...cams.keys()], unavailable: model.unavailable },
    perAuEnergyShare,
    localisation: { threshold: DEFAULT_MASK_THRESHOLD, maps: localisation },
    reading: '',
  };
  const drawn = heatmap.valid ? heatmap.perAu.map((a) => auLabel(a.facs)) : [];
  return {
    report: { ...report, reading: readingOf(report, model.camLayer, drawn) },
    maps: {
      ...(auFrameMap && { auFrameMap, auInputMap }),
      attention: outputs.attention,
      cams,
    },
  };
}

/** "happy 0.91 — 68 % of stage3 attention lies on AU6, AU12, AU25", or why no alignment is measured. */
function readingOf(r: ScoredReport, camLayer: string, drawnAus: readonly string[]): string {
  const head =
    `${r.predicted.class} ${r.predicted.probability.toFixed(2)}` +
    (r.explained.class !== r.predicted.class
      ? ` (explaining ${r.explained.class} ${r.explained.probability.toFixed(2)})`
      : '');
  if (r.cosineNote !== null) return `${head} — ${r.cosineNote}, so no alignment is measured`;
  const inside = r.localisation.maps[camLayer]?.energyPointingGame ?? null;
  if (inside === null) {
    return `${head} — the ${r.explained.class} AU regions are empty at the model's input size, so no share is measured`;
  }
  return `${head} — ${Math.round(100 * inside)} % of ${camLayer} attention lies on ${drawnAus.join(', ')}`;
}
