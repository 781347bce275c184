/**
 * Every Redis key, ZooKeeper path and conversation name is built here, so a
 * reader can see the whole data layout in one file (DESIGN.md section 4).
 */

/** Conversation keys: the unit of history, sequence numbers and sync. */
export const conversation = {
  direct(a: string, b: string): string {
    return a < b ? `dm:${a}|${b}` : `dm:${b}|${a}`;
  },
  /** True for a key built by `direct`. */
  isDirect(key: string): boolean {
    return key.startsWith('dm:');
  },
  room(name: string): string {
    return `room:${name}`;
  },
  world(): string {
    return 'world';
  },
  alliance(name: string): string {
    return `alliance:${name}`;
  },
};

/**
 * Redis keys under one configurable prefix (default `chat:`). Keys that one
 * command, transaction or script touches together share a hash tag (the part
 * in braces), so that a Redis Cluster keeps them in one slot: the sessions
 * hash and the last-seen hash (the release script writes both), and the
 * failure counter and wait of one login pair (a success deletes both). The
 * prefix goes inside the tag, so several chat clusters sharing a Redis
 * Cluster spread over its slots. Every other key is used alone.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Hash: username → JSON {nodeId, loginAt, sid}. */
  sessions(): string {
    return `{${this.prefix}sessions}`;
  }
  /** String: JSON array of live nodes {nodeId, url}, written by the leader. */
  servers(): string {
    return `${this.prefix}servers`;
  }
  /** Hash: username → when their last session ended (ms), for messages missed while offline. */
  lastSeen(): string {
    return `{${this.prefix}sessions}:lastseen`;
  }
  /** Hash: nodeId → current WebSocket connection count. */
  load(): string {
    return `${this.prefix}load`;
  }
  /** List of the 50 most recent messages of a conversation, newest first. */
  history(conversationKey: string): string {
    return `${this.prefix}history:${conversationKey}`;
  }
  /** Sorted set: word → count, reset by the leader's timer. */
  popular(): string {
    return `${this.prefix}popular`;
  }
  /**
   * String with TTL: the user's one resume token, JSON {sid, hash} (the
   * session it was issued to and SHA-256 of its secret; never the token).
   */
  resumeToken(username: string): string {
    return `${this.prefix}resume-token:${username}`;
  }
  /** Counter with TTL: consecutive failed logins of one (account, address) pair. */
  loginPairFailures(username: string, address: string): string {
    return `{${this.prefix}login:${username}|${address}}:fails`;
  }
  /** String with TTL: the pair must wait until it expires. */
  loginPairWait(username: string, address: string): string {
    return `{${this.prefix}login:${username}|${address}}:wait`;
  }
  /** Counter with TTL: failed logins of one account. */
  loginFailuresUser(username: string): string {
    return `${this.prefix}login-fail:user:${username}`;
  }
  /** Counter with TTL: failed logins from one address. */
  loginFailuresAddress(address: string): string {
    return `${this.prefix}login-fail:addr:${address}`;
  }
}

/** ZooKeeper paths under one configurable root (default `/chat`). */
export class ZkPaths {
  constructor(readonly root: string) {}

  nodes(): string {
    return `${this.root}/nodes`;
  }
  node(nodeId: string): string {
    return `${this.root}/nodes/${nodeId}`;
  }
  election(): string {
    return `${this.root}/election`;
  }
  /** Prefix of the ephemeral sequential election znodes. */
  candidatePrefix(): string {
    return `${this.root}/election/n-`;
  }
}
