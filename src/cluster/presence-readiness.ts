/**
 * Tracks which live peers have reported their sessions since they (re)joined.
 * A node that starts leading waits, bounded, until every live peer has:
 * room fan-out before that would skip members on peers not heard from yet.
 */
export class PresenceReadiness {
  private readonly reportedPeers = new Set<string>();
  private waiters: Array<() => void> = [];

  constructor(
    /** Ids of the live members other than this node. */
    private readonly peers: () => string[],
    private readonly timers: {
      setTimeout(fn: () => void, ms: number): unknown;
      clearTimeout(h: unknown): void;
    },
  ) {}

  /** A peer's snapshot arrived. */
  reported(peer: string): void {
    this.reportedPeers.add(peer);
    this.check();
  }

  /** A peer left the membership: its next snapshot is needed again when it comes back. */
  forget(peer: string): void {
    this.reportedPeers.delete(peer);
    this.check();
  }

  /** Whether `peer` has reported its sessions since it (re)joined. */
  hasReported(peer: string): boolean {
    return this.reportedPeers.has(peer);
  }

  /** Peers not heard from since they joined. */
  missing(): string[] {
    return this.peers().filter((peer) => !this.reportedPeers.has(peer));
  }

  /** Re-evaluates after a membership change. */
  check(): void {
    if (this.waiters.length === 0 || this.missing().length > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Resolves true once every live peer reported, or false after `timeoutMs`. */
  whenComplete(timeoutMs: number): Promise<boolean> {
    if (this.missing().length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        this.timers.clearTimeout(timer);
        resolve(true);
      };
      const timer = this.timers.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(done);
    });
  }
}
