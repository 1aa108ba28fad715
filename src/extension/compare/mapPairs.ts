/**
 * Image mode: which of A's maps to show beside which of B's. The AU map and each CAM method pair by id; attention
 * maps pair through the layer match (by name, else by position), since the two models' layers may differ.
 */
import type { LayerMatch } from '../../trainer/science/layerMatch';
import { matchLayers } from '../../trainer/science/layerMatch';
import type { ViewMap } from '../../webview/protocol/explain';
import type { MapPair } from '../../webview/protocol/compare';

const layersOf = (maps: readonly ViewMap[]): string[] => maps.filter((m) => m.kind === 'attention').map((m) => m.key);

export function pairMaps(a: readonly ViewMap[], b: readonly ViewMap[]):
  { readonly layers: LayerMatch; readonly pairs: readonly MapPair[] } {
  const layers = matchLayers(layersOf(a), layersOf(b));
  const bIds = new Set(b.map((m) => m.id));
  const attention = layers.pairs.map((p): MapPair => ({
    id: `attention:${p.label}`, title: `${p.label} attention`, kind: 'attention', a: `attention:${p.a}`,
    b: `attention:${p.b}`,
  }));
  const shared = (kind: ViewMap['kind']): MapPair[] =>
    a.filter((m) => m.kind === kind && bIds.has(m.id))
      .map((m) => ({ id: m.id, title: kind === 'au' ? 'AU map' : m.title, kind, a: m.id, b: m.id }));
  return { layers, pairs: [...shared('au'), ...attention, ...shared('cam')] };
}
