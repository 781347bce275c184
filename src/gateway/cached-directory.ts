import type { ServerDirectory, ServerEntry } from './directory';

/** The longest a gateway may hand out a server list without re-reading it. */
export const MAX_CACHE_MS = 1000;

export interface CachedDirectoryOptions {
  /** Re-read the list at most once per this many ms (default and maximum 1000). */
  cacheMs?: number;
  /** Monotonic milliseconds; defaults to performance.now(). Tests inject their own. */
  now?: () => number;
}

type Outcome = { ok: true; servers: readonly ServerEntry[] } | { ok: false; error: unknown };

/**
 * Bounds the reads a busy gateway makes: the inner directory is asked at
 * most once per `cacheMs`, and concurrent requests during a refresh share it.
 * A failed read is remembered for the same window, so an unreachable Redis
 * is not hammered by every incoming request. The same array is returned for
 * one window, which strategies use to tell snapshots apart.
 */
export class CachedDirectory implements ServerDirectory {
  private readonly inner: ServerDirectory;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private last: { at: number; outcome: Outcome } | undefined;
  private inflight: Promise<readonly ServerEntry[]> | undefined;

  constructor(inner: ServerDirectory, options: CachedDirectoryOptions = {}) {
    const cacheMs = options.cacheMs ?? MAX_CACHE_MS;
    if (!(cacheMs >= 0 && cacheMs <= MAX_CACHE_MS)) {
      throw new RangeError(`cacheMs must be between 0 and ${MAX_CACHE_MS}, got ${cacheMs}`);
    }
    this.inner = inner;
    this.cacheMs = cacheMs;
    this.now = options.now ?? (() => performance.now());
  }

  list(): Promise<readonly ServerEntry[]> {
    if (this.inflight) return this.inflight;
    const last = this.last;
    if (last && this.now() - last.at < this.cacheMs) {
      return last.outcome.ok ? Promise.resolve(last.outcome.servers) : Promise.reject(last.outcome.error);
    }
    const at = this.now();
    const refresh = this.inner
      .list()
      .then(
        (servers) => {
          this.last = { at, outcome: { ok: true, servers } };
          return servers;
        },
        (error: unknown) => {
          this.last = { at, outcome: { ok: false, error } };
          throw error;
        },
      )
      // Runs after the assignment below: settling is always asynchronous.
      .finally(() => {
        this.inflight = undefined;
      });
    this.inflight = refresh;
    return refresh;
  }

  /** Health checks always ask the store: they report its state now. */
  check(): Promise<void> {
    return this.inner.check();
  }
}
