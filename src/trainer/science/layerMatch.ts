/**
 * Which layer of model A to set against which layer of model B. Models of one family share layer names (tiny64 and
 * resnet18 both have layer1…layer4) and are compared name by name; models that share none (a tiny64 checkpoint
 * against face-api's dense blocks) are compared by position, shallowest with shallowest and deepest with deepest,
 * and the note says so, since "layer4 vs dense3" is a looser comparison than the same layer of two trainings.
 */

export interface LayerPair {
  readonly a: string;
  readonly b: string;
  /** What the pair is called in tables: the shared name, or "first: layer1 / dense0". */
  readonly label: string;
}

export interface LayerMatch {
  readonly by: 'name' | 'position' | 'none';
  readonly pairs: readonly LayerPair[];
  /** One sentence for the panel on how layers were paired and what was left out. */
  readonly note: string;
}

/** Pairs `layersA` with `layersB`; both are listed shallow to deep. */
export function matchLayers(layersA: readonly string[], layersB: readonly string[]): LayerMatch {
  if (layersA.length === 0 || layersB.length === 0) {
    return {
      by: 'none',
      pairs: [],
      note: `${layersA.length === 0 ? 'A' : 'B'} reports no attention layers, so no layer is compared.`,
    };
  }
  const inB = new Set(layersB);
  const shared = layersA.filter((l) => inB.has(l));
  if (shared.length > 0) {
    const unmatched = [...layersA.filter((l) => !inB.has(l)), ...layersB.filter((l) => !shared.includes(l))];
    return {
      by: 'name',
      pairs: shared.map((l) => ({ a: l, b: l, label: l })),
      note: `Layers compared by name${unmatched.length ? `; not in both models: ${unmatched.join(', ')}` : ''}.`,
    };
  }
  const first = { a: layersA[0]!, b: layersB[0]! };
  const last = { a: layersA[layersA.length - 1]!, b: layersB[layersB.length - 1]! };
  const onlyOne = layersA.length === 1 || layersB.length === 1;
  const pairs: LayerPair[] = onlyOne
    ? [{ ...last, label: `last: ${last.a} / ${last.b}` }]
    : [{ ...first, label: `first: ${first.a} / ${first.b}` }, { ...last, label: `last: ${last.a} / ${last.b}` }];
  return {
    by: 'position',
    pairs,
    note: `The models share no layer names, so layers are compared by position ` +
      `(${onlyOne ? 'deepest with deepest' : 'first with first, last with last'}).`,
  };
}
