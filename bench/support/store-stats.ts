/** What one node's store had committed at one moment (its chat_store_* counters). */
export interface StoreCounters {
  commits: number;
  writes: number;
  /** Batches that found another process holding the write lock (0 where the build has no such counter). */
  lockWaits: number;
}

/** One node's store during a phase. */
export interface StoreRate {
  nodeId: string;
  commitsPerSecond: number;
  /** Writes per commit: how much each group commit carried. */
  writesPerCommit: number;
  /** Batches per second that had to wait for another process's write lock. */
  lockWaitsPerSecond: number;
}

/**
 * Reads every node's store counters from its /metrics. A node without them
 * (an older build given with --cluster-dir, or one that does not answer) is
 * left out.
 */
export async function readStoreCounters(
  urls: ReadonlyMap<string, string>,
): Promise<Map<string, StoreCounters>> {
  const read = async ([nodeId, url]: [string, string]): Promise<[string, StoreCounters] | undefined> => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (!response.ok) return undefined;
      const text = await response.text();
      const commits = counterValue(text, 'chat_store_commits_total');
      const writes = counterValue(text, 'chat_store_writes_total');
      const lockWaits = counterValue(text, 'chat_store_lock_waits_total') ?? 0;
      return commits === undefined || writes === undefined
        ? undefined
        : [nodeId, { commits, writes, lockWaits }];
    } catch {
      return undefined;
    }
  };
  const readings = await Promise.all([...urls].map(read));
  return new Map(readings.filter((entry): entry is [string, StoreCounters] => entry !== undefined));
}

/** Commits per second and writes per commit of each node between two readings `ms` apart. */
export function storeRates(
  before: ReadonlyMap<string, StoreCounters>,
  after: ReadonlyMap<string, StoreCounters>,
  ms: number,
): StoreRate[] {
  const rates: StoreRate[] = [];
  for (const [nodeId, end] of after) {
    const start = before.get(nodeId);
    if (!start || ms <= 0) continue;
    const commits = end.commits - start.commits;
    rates.push({
      nodeId,
      commitsPerSecond: (commits * 1000) / ms,
      writesPerCommit: commits > 0 ? (end.writes - start.writes) / commits : 0,
      lockWaitsPerSecond: ((end.lockWaits - start.lockWaits) * 1000) / ms,
    });
  }
  return rates.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
}

/** The sum of a counter's samples (every label set) in a Prometheus text exposition. */
function counterValue(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}
