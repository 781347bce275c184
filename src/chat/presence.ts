/** One user's login as another node reported it. */
export interface PresenceEntry {
  nodeId: string;
  sid: string;
  loginAt: number;
  /** The node of the login this one replaced, if it was elsewhere (frames from it may still be on the way). */
  formerNodeId?: string;
}

/**
 * Who is online on which node, cluster-wide, as every node keeps it: fed by
 * each peer's session snapshot (sent when asked) and the login/logout events
 * after it, and by this node's own sessions. Direct messages find a
 * recipient's node here and room fan-out groups members by node here, with
 * no Redis read per message.
 *
 * Of two reports for one user the newer login wins (loginAt, then sid), so a
 * late event from the node a user left cannot take them back there; a logout
 * removes a user only when it names the login that is current.
 */
export class Presence {
  /** Told of every login that becomes a user's current one (DirectChat's late pushes). */
  onLogin: ((username: string, nodeId: string) => void) | undefined;
  private readonly byUser = new Map<string, PresenceEntry>();
  private readonly usersOfNode = new Map<string, Set<string>>();

  /** Replaces everything known about a node with its snapshot. */
  snapshot(nodeId: string, users: ReadonlyArray<{ username: string; sid: string; loginAt: number }>): void {
    this.dropNode(nodeId);
    for (const user of users) this.online(nodeId, user.username, user.sid, user.loginAt);
  }

  /** Records a login; ignored when the user is known with a newer login elsewhere. */
  online(nodeId: string, username: string, sid: string, loginAt: number): void {
    const previous = this.byUser.get(username);
    if (previous) {
      if (isNewer(previous, { nodeId, sid, loginAt })) return;
      this.usersOfNode.get(previous.nodeId)?.delete(username);
    }
    const formerNodeId = previous && previous.nodeId !== nodeId ? previous.nodeId : previous?.formerNodeId;
    this.byUser.set(
      username,
      formerNodeId ? { nodeId, sid, loginAt, formerNodeId } : { nodeId, sid, loginAt },
    );
    let users = this.usersOfNode.get(nodeId);
    if (!users) this.usersOfNode.set(nodeId, (users = new Set()));
    users.add(username);
    if (previous?.sid !== sid) this.onLogin?.(username, nodeId);
  }

  /** Ignored unless `sid` on `nodeId` is the user's current login. */
  offline(nodeId: string, username: string, sid: string): void {
    const current = this.byUser.get(username);
    if (!current || current.nodeId !== nodeId || current.sid !== sid) return;
    this.byUser.delete(username);
    this.usersOfNode.get(nodeId)?.delete(username);
  }

  /** A node left the cluster: its users are offline. */
  dropNode(nodeId: string): void {
    for (const username of this.usersOfNode.get(nodeId) ?? []) this.byUser.delete(username);
    this.usersOfNode.delete(nodeId);
  }

  clear(): void {
    this.byUser.clear();
    this.usersOfNode.clear();
  }

  get(username: string): PresenceEntry | undefined {
    return this.byUser.get(username);
  }

  nodeOf(username: string): string | undefined {
    return this.byUser.get(username)?.nodeId;
  }

  /**
   * Whether `nodeId` hosts `username`'s current login, or the one it replaced
   * (a message sent there just before the user moved may still be on its way).
   */
  hosts(nodeId: string, username: string): boolean {
    const entry = this.byUser.get(username);
    return entry !== undefined && (entry.nodeId === nodeId || entry.formerNodeId === nodeId);
  }

  /** Online members grouped by node. */
  byNode(usernames: Iterable<string>): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const username of usernames) {
      const nodeId = this.byUser.get(username)?.nodeId;
      if (nodeId === undefined) continue;
      let group = groups.get(nodeId);
      if (!group) groups.set(nodeId, (group = []));
      group.push(username);
    }
    return groups;
  }

  /** Nodes with at least one online user. */
  nodes(): string[] {
    return [...this.usersOfNode].filter(([, users]) => users.size > 0).map(([nodeId]) => nodeId);
  }

  get onlineCount(): number {
    return this.byUser.size;
  }
}

/** Whether `a` is a later login than `b` (ties broken by sid so every node agrees). */
function isNewer(a: PresenceEntry, b: PresenceEntry): boolean {
  if (a.loginAt !== b.loginAt) return a.loginAt > b.loginAt;
  return a.sid > b.sid;
}
