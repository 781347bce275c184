import fs from 'node:fs';

/** Descriptors kept for everything that is not a client: Redis, ZooKeeper, gRPC peers, SQLite, logs. */
export const FD_RESERVE = 256;

/**
 * The soft limit on open files of this process, where the OS tells it
 * (Linux: /proc/self/limits); undefined elsewhere or when unlimited.
 */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  try {
    const line = fs
      .readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The connection cap actually used: the configured one, but below the
 * descriptor limit, so that accepting clients can never starve the node of
 * the descriptors it needs for its own connections (a full table makes every
 * accept, Redis reconnect and file open fail at once).
 */
export function effectiveConnectionCap(configured: number, fdLimit = openFileLimit()): number {
  if (fdLimit === undefined) return configured;
  return Math.max(1, Math.min(configured, fdLimit - FD_RESERVE));
}
