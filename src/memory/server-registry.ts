import type { ServerRegistry } from '../chat/ports';
import type { ServerDirectory, ServerEntry } from '../gateway/directory';

/**
 * The server list and connection counts in one process: the leader writes
 * them through the ServerRegistry port and a gateway reads them through the
 * ServerDirectory port, as RedisServerRegistry and RedisServerDirectory do
 * over Redis. The list and the counts are kept apart, like the two Redis
 * keys: rewriting the list keeps the counts, and a count with no listed node
 * is kept but not shown.
 */
export class MemoryServerRegistry implements ServerRegistry, ServerDirectory {
  private servers: Array<{ nodeId: string; url: string }> = [];
  private readonly load = new Map<string, number>();

  async writeServers(nodes: ReadonlyArray<{ nodeId: string; url: string }>): Promise<void> {
    this.servers = nodes.map((n) => ({ nodeId: n.nodeId, url: n.url }));
  }

  async publishLoad(nodeId: string, connections: number): Promise<void> {
    this.load.set(nodeId, connections);
  }

  async removeLoad(nodeId: string): Promise<void> {
    this.load.delete(nodeId);
  }

  async list(): Promise<ServerEntry[]> {
    // An entry without a node id or URL is skipped, as the Redis directory skips a malformed one.
    return this.servers
      .filter((s) => s.nodeId !== '' && s.url !== '')
      .map((s) => ({ ...s, connections: connectionsOf(this.load.get(s.nodeId)) }));
  }

  async check(): Promise<void> {
    // Always reachable: there is no server to ask.
  }
}

/** As the Redis directory reads a count: a positive whole number, anything else is 0. */
function connectionsOf(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
