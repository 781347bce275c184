import { Redis } from 'ioredis';

/**
 * One command on a connection of its own, for launchers that check what a
 * server (a cluster node, a replica, a sentinel) says about itself. Fails
 * fast: no retries, no offline queue.
 */
export async function redisCommand(
  host: string,
  port: number,
  args: [string, ...string[]],
  options: { password?: string; timeoutMs?: number } = {},
): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const client = new Redis({
    host,
    port,
    password: options.password,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  // The rejected command says what went wrong; the event would only repeat it.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [command, ...rest] = args;
    return await client.call(command, ...rest);
  } finally {
    client.disconnect();
  }
}

/** A field of an INFO or CLUSTER INFO reply (`name:value` lines). */
export function infoField(info: unknown, name: string): string | undefined {
  if (typeof info !== 'string') return undefined;
  const line = info.split(/\r?\n/).find((l) => l.startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

/** A reply of alternating names and values (SENTINEL MASTER) as an object. */
export function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
