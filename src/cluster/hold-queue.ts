export interface HoldLimits {
  /** Frames held for all peers together. */
  maxItems: number;
  /** A frame older than this is dropped instead of sent. */
  maxAgeMs: number;
}

export const DEFAULT_HOLD: HoldLimits = { maxItems: 10_000, maxAgeMs: 15_000 };

/**
 * What waits for a peer whose link is down: bounded in number and age, handed
 * back in the order it was held. While anything is held for a peer, newer
 * items for it must queue behind (the caller checks `has`), so a pair's
 * frames never overtake each other across a reconnect.
 */
export class HoldQueue<T> {
  private readonly held = new Map<string, Array<{ item: T; at: number }>>();
  private count = 0;

  constructor(
    private readonly limits: HoldLimits,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.count;
  }

  has(peer: string): boolean {
    return this.held.has(peer);
  }

  /** Items held for one peer. */
  sizeOf(peer: string): number {
    return this.held.get(peer)?.length ?? 0;
  }

  /** False when the queue is full (the item is not held). */
  hold(peer: string, item: T): boolean {
    if (this.count >= this.limits.maxItems) return false;
    let queue = this.held.get(peer);
    if (!queue) this.held.set(peer, (queue = []));
    queue.push({ item, at: this.now() });
    this.count++;
    return true;
  }

  /** Everything held for `peer`, oldest first, without what expired; `expired` counts the rest. */
  take(peer: string): { items: T[]; expired: number } {
    const queue = this.held.get(peer);
    if (!queue) return { items: [], expired: 0 };
    this.held.delete(peer);
    this.count -= queue.length;
    const oldest = this.now() - this.limits.maxAgeMs;
    const items = queue.filter((h) => h.at >= oldest).map((h) => h.item);
    return { items, expired: queue.length - items.length };
  }

  /** Forgets what is held for a peer (it left the cluster); returns how many items went. */
  drop(peer: string): number {
    const queue = this.held.get(peer);
    if (!queue) return 0;
    this.held.delete(peer);
    this.count -= queue.length;
    return queue.length;
  }
}
