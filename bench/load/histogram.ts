/**
 * Latencies in milliseconds in logarithmic buckets 1% wide, from 1 µs to
 * about 28 h: fixed memory however many samples, percentiles within 1%.
 * Min, max, count and mean are exact.
 */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const MIN_MS = 0.001;
const BUCKETS = 2400;

export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private min = Infinity;
  private max = 0;

  record(ms: number): void {
    const value = Math.max(ms, 0);
    this.counts[bucketOf(value)]! += 1;
    this.total += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get count(): number {
    return this.total;
  }

  merge(other: LatencyHistogram): this {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    return this;
  }

  /** The value below which `p` percent of the samples lie (upper edge of its bucket, capped at max). */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(Math.max(upperEdge(i), this.min), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      minMs: this.total ? this.min : 0,
      meanMs: this.total ? this.sum / this.total : 0,
      p50Ms: this.percentile(50),
      p90Ms: this.percentile(90),
      p99Ms: this.percentile(99),
      p999Ms: this.percentile(99.9),
      maxMs: this.max,
    };
  }
}

function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

function upperEdge(bucket: number): number {
  return MIN_MS * Math.pow(GROWTH, bucket);
}
