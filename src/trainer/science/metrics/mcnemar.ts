/**
 * McNemar's test on paired correct/incorrect outcomes of two classifiers on the same images (McNemar 1947; the
 * choice between exact and asymptotic follows statsmodels' `mcnemar(exact=…)` advice): only the discordant pairs
 * count, b (A right, B wrong) and c (A wrong, B right). Under H0 both are equally likely, so b ~ Binomial(b + c, ½).
 */

/** Below this many discordant pairs the χ² approximation is poor, so the exact binomial test is used. */
export const MCNEMAR_EXACT_BELOW = 25;

export interface McNemarResult {
  /** A right and B wrong. */
  readonly b: number;
  /** A wrong and B right. */
  readonly c: number;
  readonly method: 'exact-binomial' | 'chi2-continuity';
  /** exact: min(b, c), the binomial test's count; chi2: (|b − c| − 1)² / (b + c). */
  readonly statistic: number;
  /** Two-sided; 1 when there is no discordant pair. */
  readonly p: number;
}

export function mcnemar(b: number, c: number): McNemarResult {
  for (const [name, v] of [['b', b], ['c', c]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`McNemar's ${name} must be a count ≥ 0, got ${v}`);
  }
  const n = b + c;
  if (n < MCNEMAR_EXACT_BELOW) {
    const k = Math.min(b, c);
    return { b, c, method: 'exact-binomial', statistic: k, p: n === 0 ? 1 : Math.min(1, 2 * binomialCdfHalf(k, n)) };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / n;
  return { b, c, method: 'chi2-continuity', statistic, p: chiSquare1Survival(statistic) };
}

/** P(X ≤ k) for X ~ Binomial(n, ½), summed in log space so large n neither overflows nor underflows early. */
function binomialCdfHalf(k: number, n: number): number {
  let logTerm = -n * Math.LN2; // log C(n, 0) · 2⁻ⁿ
  let sum = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i);
    sum += Math.exp(logTerm);
  }
  return sum;
}

/** P(χ²₁ > x) = erfc(√(x / 2)). */
export function chiSquare1Survival(x: number): number {
  if (x <= 0) return 1;
  return erfc(Math.sqrt(x / 2));
}

/**
 * Complementary error function with relative error below 1.2e-7 everywhere (Numerical Recipes' erfcc, Chebyshev
 * fit).
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
