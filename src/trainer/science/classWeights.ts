/**
 * Class weights for the cross-entropy (`--class-weights none|inverse|FILE`), for datasets whose classes are far
 * from balanced (AffectNet's training part: about 1:20 between its rarest and commonest class). The loss is
 * F.cross_entropy's with `weight=c`: Σᵢ c[yᵢ]·nllᵢ / Σᵢ c[yᵢ] over the batch, so only the ratios matter.
 * The paper trains without them (paper-notes §5); they are off unless asked for.
 */
import type { Expression } from './labels';
import { parseExpression } from './labels';

/** What a run asks for: no weights, inverse class frequency in its training split, or a user's table. */
export type ClassWeightsSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'inverse' }
  | { readonly kind: 'file'; readonly file: string; readonly weights: Readonly<Partial<Record<Expression, number>>> };

/** A class-weight table that cannot be used; the message names the entry at fault. */
export class ClassWeightsError extends Error {
  override readonly name = 'ClassWeightsError';
}

/**
 * A weight table as users write it, JSON `{"happy": 1, "sad": 2.5}`: class names in any case or synonym, each
 * weight a finite number > 0. `where` names the file in messages.
 */
export function parseClassWeights(json: unknown, where: string): Partial<Record<Expression, number>> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ClassWeightsError(`${where} must hold a JSON object of class weights, such as {"happy": 1, "sad": 2.5}`);
  }
  const weights: Partial<Record<Expression, number>> = {};
  const spelt: Partial<Record<Expression, string>> = {};
  for (const [name, value] of Object.entries(json)) {
    const label = parseExpression(name);
    if (label === undefined) throw new ClassWeightsError(`${where}: "${name}" is not a class name`);
    if (spelt[label] !== undefined) {
      throw new ClassWeightsError(`${where}: "${name}" and "${spelt[label]}" both name the class ${label}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ClassWeightsError(`${where}: the weight of "${name}" must be a number > 0, ` +
        `got ${JSON.stringify(value)}`);
    }
    weights[label] = value;
    spelt[label] = name;
  }
  return weights;
}

/**
 * The weight of each class of `labels` (output order), or undefined for none. 'inverse' is n / (K · n_c) over the
 * training split's counts (scikit-learn's "balanced"), a class absent from it counted once; a table must give
 * every class of the run.
 */
export function classWeightVector(
  spec: ClassWeightsSpec,
  labels: readonly Expression[],
  trainCounts: Readonly<Partial<Record<Expression, number>>>,
): number[] | undefined {
  if (spec.kind === 'none') return undefined;
  if (spec.kind === 'file') {
    const missing = labels.filter((l) => spec.weights[l] === undefined);
    if (missing.length > 0) {
      throw new ClassWeightsError(`${spec.file} gives no weight for ${missing.join(', ')}; ` +
        `give one for each of the run's classes (${labels.join(', ')})`);
    }
    return labels.map((l) => spec.weights[l]!);
  }
  const total = labels.reduce((n, l) => n + (trainCounts[l] ?? 0), 0);
  return labels.map((l) => total / (labels.length * Math.max(1, trainCounts[l] ?? 0)));
}

/** Each sample's share of a batch's loss, wᵢ = c[yᵢ] / Σⱼ c[yⱼ]: the loss graph's per-sample weights. */
export function sampleWeights(labels: ArrayLike<bigint | number>, classWeights: readonly number[]): Float32Array {
  const weights = Array.from(labels, (label) => {
    const w = classWeights[Number(label)];
    if (w === undefined) throw new RangeError(`label ${label} has no class weight (${classWeights.length} classes)`);
    return w;
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  return Float32Array.from(weights, (w) => w / sum);
}
