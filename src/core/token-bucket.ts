/**
 * Rate limiting for untrusted input: a token bucket per connection (bursts up
 * to `capacity`, sustained `refillPerSecond`) and a strike counter that says
 * when rejections have gone on long enough to disconnect the client.
 */

/** Milliseconds from a monotonic clock. */
export type Clock = () => number;

const monotonicNow: Clock = () => performance.now();

export interface TokenBucketOptions {
  /** Most tokens the bucket holds: the largest burst allowed. */
  capacity: number;
  /** Tokens added per second, continuously. */
  refillPerSecond: number;
  /** Defaults to performance.now(); tests inject their own. */
  now?: Clock;
  /** Tokens at creation; defaults to a full bucket. */
  initial?: number;
}

export class TokenBucket {
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private readonly now: Clock;
  private tokens: number;
  private updatedAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.capacity > 0)) throw new RangeError('TokenBucket capacity must be > 0');
    if (!(options.refillPerSecond >= 0)) throw new RangeError('TokenBucket refillPerSecond must be >= 0');
    this.capacity = options.capacity;
    this.refillPerMs = options.refillPerSecond / 1000;
    this.now = options.now ?? monotonicNow;
    this.tokens = Math.min(options.initial ?? options.capacity, options.capacity);
    this.updatedAt = this.now();
  }

  /** Takes `n` tokens if all are available; takes none otherwise. */
  take(n = 1): boolean {
    this.refill();
    // The epsilon absorbs float drift from many small refills.
    if (n > this.tokens + 1e-9) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens available now (fractional). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.now();
    // A clock that goes backwards (injected in tests, or adjusted) adds nothing.
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.refillPerMs);
  }
}

export interface StrikesOptions {
  /** This many strikes within `windowMs` means sustained abuse. */
  limit: number;
  windowMs: number;
  now?: Clock;
}

/**
 * Counts strikes (e.g. rate-limit rejections) in a sliding window. One
 * rejected burst is normal; `limit` rejections within `windowMs` is abuse and
 * the caller disconnects. Memory is bounded by `limit`.
 */
export class Strikes {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly now: Clock;
  /** Ring buffer of the last `limit` strike times. */
  private readonly times: number[] = [];
  private head = 0;

  constructor(options: StrikesOptions) {
    if (!(options.limit >= 1)) throw new RangeError('Strikes limit must be >= 1');
    this.limit = Math.floor(options.limit);
    this.windowMs = options.windowMs;
    this.now = options.now ?? monotonicNow;
  }

  /** Records a strike; true when `limit` strikes fall within the window. */
  strike(): boolean {
    const now = this.now();
    if (this.times.length < this.limit) {
      this.times.push(now);
    } else {
      this.times[this.head] = now;
      this.head = (this.head + 1) % this.limit;
    }
    return this.exceeded(now);
  }

  /** Strikes within the window ending now. */
  count(): number {
    const now = this.now();
    return this.times.filter((t) => now - t < this.windowMs).length;
  }

  reset(): void {
    this.times.length = 0;
    this.head = 0;
  }

  private exceeded(now: number): boolean {
    if (this.times.length < this.limit) return false;
    // The oldest of the last `limit` strikes sits at `head` once the ring is full.
    const oldest = this.times[this.head]!;
    return now - oldest < this.windowMs;
  }
}
