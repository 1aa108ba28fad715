/** The explanation page's sentences that need no DOM, so the unit tests can read them without a browser. */
import type { ViewReport } from '../protocol/explain';

export type ExplainedClass = Pick<ViewReport['explained'], 'class' | 'aus'>;

/** Why a map has no energy shares: a class without AUs (neutral) has no regions, which is not a missing AU map. */
export function noEnergyNote(mapTitle: string, explained: ExplainedClass): string {
  return explained.aus.length === 0
    ? `No energy shares: '${explained.class}' uses no action units, so there is no AU region to measure ${mapTitle} in.`
    : `No energy shares for ${mapTitle}: the AU map is missing or the map has no energy.`;
}
