/**
 * The faithfulness metrics' Classifier (science/metrics/faithfulness/classifier.ts) over an ONNX Runtime session:
 * perturbed faces go through the model in batches and come back as softmax rows (float64, as the explanation's
 * scores). A session with a static batch is fed padded batches; one with a dynamic batch gets exactly the images.
 */
import type { Classifier } from '../science/metrics/faithfulness/classifier';
import { softmax } from '../science/metrics/scores';

/** Runs `count` images packed in `batch` (count × 3 × S × S, or padded to the static batch) and returns logits. */
export type LogitsRun = (batch: Float32Array, count: number) => Promise<ArrayLike<number>>;

export interface SessionClassifierSpec {
  readonly labels: readonly string[];
  /** The model's input side S (3 × S × S images). */
  readonly size: number;
  /** Most images per run. */
  readonly batchSize: number;
  /** True when every run must hold exactly batchSize images (a graph built for one batch size). */
  readonly staticBatch: boolean;
  readonly run: LogitsRun;
}

export function sessionClassifier(spec: SessionClassifierSpec): Classifier {
  const { labels, size, batchSize, staticBatch, run } = spec;
  const plane = 3 * size * size;
  const k = labels.length;
  return {
    labels,
    channels: 3,
    width: size,
    height: size,
    batchSize,
    async probabilities(images) {
      const n = images.length;
      if (n < 1 || n > batchSize) throw new RangeError(`a batch holds 1..${batchSize} images, got ${n}`);
      const rows = staticBatch ? batchSize : n;
      const data = new Float32Array(rows * plane);
      images.forEach((x, i) => data.set(x, i * plane));
      const logits = await run(data, rows);
      if (logits.length < n * k) throw new RangeError(`the model returned ${logits.length} logits for ${n}×${k}`);
      const out = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        const row = Array.prototype.slice.call(logits, i * k, (i + 1) * k) as number[];
        out.set(softmax(row), i * k);
      }
      return out;
    },
  };
}

/** A classifier opened on first use and closed with its model. */
export class LazyClassifier {
  private opened: Promise<{ classifier: Classifier; release: () => Promise<void> }> | undefined;

  constructor(private readonly open: () => Promise<{ classifier: Classifier; release: () => Promise<void> }>) {}

  async get(): Promise<Classifier> {
    if (!this.opened) {
      const opening = this.open();
      // A failed open is tried again next time rather than remembered.
      opening.catch(() => {
        if (this.opened === opening) this.opened = undefined;
      });
      this.opened = opening;
    }
    return (await this.opened).classifier;
  }

  async release(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) await opened.then((o) => o.release(), () => undefined);
  }
}
