import type { LocalSession, OutgoingPush, StoredMessage } from './types';

/** Told of every message handed to a session (the messageDelivered hook). */
export type DeliveryObserver = (message: StoredMessage, to: string) => void;

/** The sessions of this node, by user and by alliance. */
export class LocalSessions {
  /** Set when a plugin wants deliveries: world messages reach every session, so it is opt-in. */
  onDelivered: DeliveryObserver | undefined;

  private readonly byUser = new Map<string, LocalSession>();
  private readonly byAlliance = new Map<string, Set<LocalSession>>();

  get size(): number {
    return this.byUser.size;
  }

  get(username: string): LocalSession | undefined {
    return this.byUser.get(username);
  }

  /** Adds a session and returns the one it replaced on this node, if any. */
  add(session: LocalSession): LocalSession | undefined {
    const previous = this.byUser.get(session.username);
    if (previous) this.remove(previous.username, previous.sid);
    this.byUser.set(session.username, session);
    if (session.alliance) {
      let members = this.byAlliance.get(session.alliance);
      if (!members) this.byAlliance.set(session.alliance, (members = new Set()));
      members.add(session);
    }
    return previous;
  }

  /** Removes the session only if it is still `sid`. */
  remove(username: string, sid: string): LocalSession | undefined {
    const session = this.byUser.get(username);
    if (!session || session.sid !== sid) return undefined;
    this.byUser.delete(username);
    const members = this.byAlliance.get(session.alliance);
    members?.delete(session);
    if (members?.size === 0) this.byAlliance.delete(session.alliance);
    return session;
  }

  all(): IterableIterator<LocalSession> {
    return this.byUser.values();
  }

  /** Delivers to the named users present here; returns how many received it. */
  deliver(push: OutgoingPush, recipients: readonly string[]): number {
    let delivered = 0;
    for (const username of recipients) {
      const session = this.byUser.get(username);
      if (!session) continue;
      session.peer.push(push);
      this.onDelivered?.(push.message(), username);
      delivered++;
    }
    return delivered;
  }

  /** Delivers a channel message: every session, or the sessions of `alliance` when it is set. */
  broadcast(push: OutgoingPush, alliance: string): number {
    const targets = alliance ? (this.byAlliance.get(alliance) ?? new Set()) : this.byUser.values();
    let delivered = 0;
    for (const session of targets) {
      session.peer.push(push);
      this.onDelivered?.(push.message(), session.username);
      delivered++;
    }
    return delivered;
  }

  /** Names of the users present here, of `candidates`. */
  present(candidates: readonly string[]): string[] {
    return candidates.filter((username) => this.byUser.has(username));
  }
}
