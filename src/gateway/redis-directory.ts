import type { Logger } from '../core/logger';
import { Unavailable } from '../core/errors';
import type { RedisKeys } from '../core/names';
import type { ServerDirectory, ServerEntry } from './directory';

/** The Redis commands the directory needs (ioredis Redis or Cluster both fit). */
export interface DirectoryRedis {
  get(key: string): Promise<string | null>;
  hgetall(key: string): Promise<Record<string, string>>;
  ping(): Promise<string>;
}

export interface RedisServerDirectoryOptions {
  redis: DirectoryRedis;
  keys: RedisKeys;
  logger: Logger;
  /** A Redis read that takes longer fails the request instead of hanging it (default 1000). */
  timeoutMs?: number;
}

/**
 * Reads the server list the leader writes (`servers`: JSON array of
 * {nodeId, url}) and the per-node connection counts (`load` hash).
 */
export class RedisServerDirectory implements ServerDirectory {
  private readonly redis: DirectoryRedis;
  private readonly keys: RedisKeys;
  private readonly logger: Logger;
  private readonly timeoutMs: number;

  constructor(options: RedisServerDirectoryOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? 1000;
  }

  async list(): Promise<ServerEntry[]> {
    // Two plain reads rather than MULTI: the keys may live in different Redis Cluster slots.
    const [raw, load] = await this.withTimeout(
      Promise.all([this.redis.get(this.keys.servers()), this.redis.hgetall(this.keys.load())]),
      'read the server list',
    );
    if (raw === null) return [];
    return this.parse(raw).map((s) => ({ ...s, connections: parseLoad(load[s.nodeId]) }));
  }

  async check(): Promise<void> {
    await this.withTimeout(this.redis.ping(), 'answer PING');
  }

  private parse(raw: string): Array<{ nodeId: string; url: string }> {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      this.logger.error(
        { event: 'server-list-invalid', key: this.keys.servers() },
        'server list is not JSON',
      );
      throw new Unavailable('The server list is unreadable; try again shortly.', 'DIRECTORY_UNAVAILABLE');
    }
    if (!Array.isArray(value)) {
      this.logger.error(
        { event: 'server-list-invalid', key: this.keys.servers() },
        'server list is not an array',
      );
      throw new Unavailable('The server list is unreadable; try again shortly.', 'DIRECTORY_UNAVAILABLE');
    }
    const entries: Array<{ nodeId: string; url: string }> = [];
    for (const item of value as unknown[]) {
      if (isEntry(item)) entries.push({ nodeId: item.nodeId, url: item.url });
      else
        this.logger.warn({ event: 'server-entry-invalid', entry: item }, 'skipping malformed server entry');
    }
    return entries;
  }

  private async withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Unavailable(
              `Redis did not ${what} within ${this.timeoutMs} ms; try again shortly.`,
              'DIRECTORY_UNAVAILABLE',
            ),
          ),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([promise, timeout]);
    } catch (err) {
      if (err instanceof Unavailable) throw err;
      this.logger.warn({ event: 'redis-read-failed', what, err }, 'Redis read failed');
      throw new Unavailable(`Redis did not ${what}; try again shortly.`, 'DIRECTORY_UNAVAILABLE');
    } finally {
      clearTimeout(timer);
    }
  }
}

function isEntry(item: unknown): item is { nodeId: string; url: string } {
  if (typeof item !== 'object' || item === null) return false;
  const { nodeId, url } = item as Record<string, unknown>;
  return typeof nodeId === 'string' && nodeId.length > 0 && typeof url === 'string' && url.length > 0;
}

function parseLoad(value: string | undefined): number {
  const n = value === undefined ? 0 : Number(value);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
