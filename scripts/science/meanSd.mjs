// "m ± sd" over seeds (sample sd, n − 1) for the science tables; the mean alone for one value. `scale` multiplies
// both (100 for percentages).
export function meanSd(xs, scale, digits) {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return (scale * m).toFixed(digits);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return `${(scale * m).toFixed(digits)} ± ${(scale * sd).toFixed(digits)}`;
}
