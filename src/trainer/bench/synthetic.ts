/**
 * Synthetic batches like the PyTorch peer's (bench.py): N(0, 1) images, uniform labels over the classes, and AU
 * maps made of 1–4 Gaussian blobs (σ = 4–14 % of the side) max-normalised to [0, 1] at input resolution. Only
 * the class-0 (neutral) samples have no alignment term, as the peer's mask `y != 0`. Throughput does not depend
 * on the values; the blobs keep the cosine loss away from its degenerate all-zero case.
 */
import type { Batch } from '../data/loader';
import type { Random } from '../science/random';
import { gaussian, mulberry32, randomInt, uniform } from '../science/random';

function blobMap(random: Random, size: number, out: Float32Array): void {
  const blobs = 1 + randomInt(random, 4);
  for (let b = 0; b < blobs; b++) {
    const cy = uniform(random, 0, size);
    const cx = uniform(random, 0, size);
    const sigma = size * uniform(random, 0.04, 0.14);
    const k = 1 / (2 * sigma * sigma);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) out[y * size + x]! += Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) * k);
    }
  }
  let max = 0;
  for (const v of out) max = Math.max(max, v);
  const scale = 1 / Math.max(max, 1e-6);
  for (let i = 0; i < out.length; i++) out[i]! *= scale;
}

/** One full batch of `batch` samples at `size`×`size`, drawn from `seed`. */
export function syntheticBatch(batch: number, size: number, numClasses: number, seed: number): Batch {
  const random = mulberry32(seed);
  const plane = size * size;
  const image = new Float32Array(batch * 3 * plane);
  for (let i = 0; i < image.length; i++) image[i] = gaussian(random);
  const labels = new BigInt64Array(batch);
  const auMaps = new Float32Array(batch * plane);
  const auValid = new Float32Array(batch);
  for (let i = 0; i < batch; i++) {
    const label = randomInt(random, numClasses);
    labels[i] = BigInt(label);
    auValid[i] = label === 0 ? 0 : 1;
    blobMap(random, size, auMaps.subarray(i * plane, (i + 1) * plane));
  }
  return {
    image,
    labels,
    auMaps,
    auValid,
    count: batch,
    paths: [],
    indices: Array.from({ length: batch }, (_, i) => i),
  };
}
