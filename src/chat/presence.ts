/**
 * The leader's view of who is online on which node, fed by each node's session
 * snapshot (sent when its link comes up) and the login/logout events after it.
 * Room fan-out reads it instead of asking Redis for every message.
 */
export class Presence {
  private readonly nodeOfUser = new Map<string, { nodeId: string; sid: string }>();
  private readonly usersOfNode = new Map<string, Set<string>>();

  /** Replaces everything known about a node with its snapshot. */
  snapshot(nodeId: string, users: ReadonlyArray<{ username: string; sid: string }>): void {
    this.dropNode(nodeId);
    for (const user of users) this.online(nodeId, user.username, user.sid);
  }

  online(nodeId: string, username: string, sid: string): void {
    const previous = this.nodeOfUser.get(username);
    if (previous) this.usersOfNode.get(previous.nodeId)?.delete(username);
    this.nodeOfUser.set(username, { nodeId, sid });
    let users = this.usersOfNode.get(nodeId);
    if (!users) this.usersOfNode.set(nodeId, (users = new Set()));
    users.add(username);
  }

  /** Ignored when a newer login (another sid) already took over. */
  offline(nodeId: string, username: string, sid: string): void {
    const current = this.nodeOfUser.get(username);
    if (!current || current.nodeId !== nodeId || current.sid !== sid) return;
    this.nodeOfUser.delete(username);
    this.usersOfNode.get(nodeId)?.delete(username);
  }

  /** A node left the cluster: its users are offline. */
  dropNode(nodeId: string): void {
    for (const username of this.usersOfNode.get(nodeId) ?? []) this.nodeOfUser.delete(username);
    this.usersOfNode.delete(nodeId);
  }

  clear(): void {
    this.nodeOfUser.clear();
    this.usersOfNode.clear();
  }

  nodeOf(username: string): string | undefined {
    return this.nodeOfUser.get(username)?.nodeId;
  }

  /** Online members grouped by node. */
  byNode(usernames: Iterable<string>): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const username of usernames) {
      const nodeId = this.nodeOfUser.get(username)?.nodeId;
      if (nodeId === undefined) continue;
      let group = groups.get(nodeId);
      if (!group) groups.set(nodeId, (group = []));
      group.push(username);
    }
    return groups;
  }

  get onlineCount(): number {
    return this.nodeOfUser.size;
  }
}
