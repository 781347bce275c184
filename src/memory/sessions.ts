import type { Claim, GlobalSession, SessionDirectory } from '../chat/ports';

/**
 * The cluster-wide session directory in one process, for domain tests and an
 * in-process cluster: every node is given the same instance, as every node
 * of a real cluster talks to the same Redis. Each method does its reads and
 * writes without an await in between, which makes it as atomic as the Lua
 * scripts of RedisSessionDirectory. Results are copies, as parsed JSON is.
 */
export class MemorySessionDirectory implements SessionDirectory {
  private readonly sessions = new Map<string, GlobalSession>();
  private readonly seen = new Map<string, number>();

  async claim(username: string, session: GlobalSession): Promise<Claim> {
    const old = this.sessions.get(username);
    const loginAt = old && old.loginAt >= session.loginAt ? old.loginAt + 1 : session.loginAt;
    this.sessions.set(username, { ...copy(session), loginAt });
    return { replaced: old ? copy(old) : null, loginAt };
  }

  async get(username: string): Promise<GlobalSession | null> {
    const held = this.sessions.get(username);
    return held ? copy(held) : null;
  }

  async release(username: string, sid: string, at: number): Promise<boolean> {
    const held = this.sessions.get(username);
    if (!held || held.sid !== sid) return false;
    this.sessions.delete(username);
    this.seen.set(username, at);
    return true;
  }

  async lastSeen(username: string): Promise<number | null> {
    return this.seen.get(username) ?? null;
  }

  async all(): Promise<Map<string, GlobalSession>> {
    return new Map([...this.sessions].map(([user, session]) => [user, copy(session)]));
  }

  async restore(username: string, session: GlobalSession): Promise<GlobalSession | null> {
    const held = this.sessions.get(username);
    if (!held) {
      this.sessions.set(username, copy(session));
      return null;
    }
    return held.sid === session.sid ? null : copy(held);
  }

  async releaseNode(nodeId: string): Promise<number> {
    let released = 0;
    for (const [user, session] of this.sessions) {
      if (session.nodeId !== nodeId) continue;
      this.sessions.delete(user);
      released++;
    }
    return released;
  }
}

/** Only the three fields, as RedisSessionDirectory's JSON round trip keeps. */
function copy(session: GlobalSession): GlobalSession {
  return { nodeId: session.nodeId, loginAt: session.loginAt, sid: session.sid };
}
