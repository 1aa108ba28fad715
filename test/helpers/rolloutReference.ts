/**
 * Attention rollout (Abnar & Zuidema 2020) written out plainly in float64, to check the graph's: R = Π(½·head-mean
 * + ½·I) over the blocks in order, and its class-token row (token 0), whose entries `skip`…T−1 are the patches.
 */

/** `blocks`: each block's probabilities for one image, heads × T × T row-major. */
export function rolloutReference(blocks: readonly Float32Array[], t: number): Float64Array {
  let r = Float64Array.from({ length: t * t }, (_, i) => (i % (t + 1) === 0 ? 1 : 0));
  for (const a of blocks) {
    const h = a.length / (t * t);
    const mixed = new Float64Array(t * t);
    for (let k = 0; k < h; k++) for (let i = 0; i < t * t; i++) mixed[i] = mixed[i]! + (0.5 * a[k * t * t + i]!) / h;
    for (let i = 0; i < t; i++) mixed[i * t + i] = mixed[i * t + i]! + 0.5;
    const next = new Float64Array(t * t);
    for (let i = 0; i < t; i++) {
      for (let k = 0; k < t; k++) {
        for (let j = 0; j < t; j++) next[i * t + j] = next[i * t + j]! + mixed[i * t + k]! * r[k * t + j]!;
      }
    }
    r = next;
  }
  return r.slice(0, t);
}
