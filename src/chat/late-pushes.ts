import type { OutgoingPush } from './types';

interface Kept {
  push: OutgoingPush;
  until: number;
}

/**
 * Direct messages whose push reached no connection of the recipient, kept a
 * few seconds for the recipient's next login. A login on another node reads
 * its `missed` list once; a message stored just after that read, and pushed
 * to where the recipient was before, is in no list and on no connection.
 * When the recipient's new login is announced, the message is pushed there.
 * Bounded in time and in users; the oldest go first.
 */
export class LatePushes {
  private readonly byUser = new Map<string, Kept[]>();

  constructor(
    private readonly now: () => number,
    private readonly keepMs = 10_000,
    private readonly maxUsers = 10_000,
    private readonly maxPerUser = 50,
  ) {}

  keep(username: string, push: OutgoingPush): void {
    const until = this.now() + this.keepMs;
    const kept = this.byUser.get(username) ?? [];
    kept.push({ push, until });
    if (kept.length > this.maxPerUser) kept.shift();
    // Re-inserted at the end: the map stays ordered by each user's latest push.
    this.byUser.delete(username);
    this.byUser.set(username, kept);
    this.prune();
  }

  /** What is still kept for `username`, oldest first; forgotten here. */
  take(username: string): OutgoingPush[] {
    const kept = this.byUser.get(username);
    if (!kept) return [];
    this.byUser.delete(username);
    const now = this.now();
    return kept.filter((k) => k.until > now).map((k) => k.push);
  }

  get size(): number {
    return this.byUser.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [username, kept] of this.byUser) {
      const newest = kept[kept.length - 1];
      if (this.byUser.size <= this.maxUsers && newest && newest.until > now) break;
      this.byUser.delete(username);
    }
  }
}
