/**
 * One sample prepared into a cache record, on a worker of the preparation pool or on this thread.
 */
import type { LazyLandmarker } from '../../io/landmarkCache';
import type { DetectedFace } from '../../io/landmarks';
import type { SampleSource } from '../../io/layouts/types';
import type { Expression } from '../../science/labels';
import type { SampleSettings } from '../prepare';
import { prepareOne } from '../prepare';
import type { SampleStatus } from './shardFormat';
import { encodeRecord, SAMPLE_STATUS } from './shardFormat';

export interface PrepareJob {
  readonly source: SampleSource;
  readonly expression: Expression;
  /** Index of the expression in the run's labels. */
  readonly label: number;
  readonly settings: SampleSettings;
  /** Keys the landmark cache; a worker's detector must be of this version. */
  readonly detectorVersion: string;
  /** Landmarks the caller already has (found by a landmark pass that could not cache them). */
  readonly faces?: readonly DetectedFace[];
}

export type PrepareOutcome =
  | { readonly ok: true; readonly record: Uint8Array; readonly status: SampleStatus }
  | { readonly ok: false; readonly reason: string };

export async function prepareRecord(landmarker: LazyLandmarker, job: PrepareJob): Promise<PrepareOutcome> {
  const one = await prepareOne(landmarker, job.source, job.expression, job.settings, job.faces);
  if (!one.ok) return one;
  const { image } = one;
  const status = image.au
    ? SAMPLE_STATUS.auMap
    : image.auInvalidReason === 'no-face' ? SAMPLE_STATUS.noFace : SAMPLE_STATUS.noMap;
  return { ok: true, record: encodeRecord(image.side, job.label, image.rgb, image.au), status };
}
