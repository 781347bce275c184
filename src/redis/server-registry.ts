import type { ServerRegistry } from '../chat/ports';
import type { RedisKeys } from '../core/names';
import type { RedisClient } from './connect';

/** The server list (one JSON string) and the per-node connection counts (a hash) the gateway reads. */
export class RedisServerRegistry implements ServerRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async writeServers(nodes: ReadonlyArray<{ nodeId: string; url: string }>): Promise<void> {
    await this.redis.set(this.keys.servers(), JSON.stringify(nodes));
  }

  async publishLoad(nodeId: string, connections: number): Promise<void> {
    await this.redis.hset(this.keys.load(), nodeId, connections);
  }

  async removeLoad(nodeId: string): Promise<void> {
    await this.redis.hdel(this.keys.load(), nodeId);
  }
}
