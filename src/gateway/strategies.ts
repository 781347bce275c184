import { InvalidArgument } from '../core/errors';
import type { ServerEntry } from './directory';

export const STRATEGY_NAMES = ['least-connections', 'round-robin', 'random'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** Picks the node a client should connect to; undefined when there is none. */
export interface BalancingStrategy {
  readonly name: StrategyName;
  pick(servers: readonly ServerEntry[]): ServerEntry | undefined;
}

export interface StrategyOptions {
  /** Uniform in [0, 1); defaults to Math.random. Tests inject their own. */
  random?: () => number;
}

/**
 * Fewest connections first. The reported counts only change when the list
 * is re-read (at most once a second), so between reads this gateway adds the
 * clients it has already handed each node: a reconnect storm is spread over
 * the nodes instead of all landing on the one that looked emptiest. Ties are
 * broken at random, so that several gateway processes reading the same
 * snapshot do not all start with the same node.
 */
export class LeastConnections implements BalancingStrategy {
  readonly name = 'least-connections';
  private snapshot: readonly ServerEntry[] | undefined;
  private readonly handedOut = new Map<string, number>();

  constructor(private readonly random: () => number = Math.random) {}

  pick(servers: readonly ServerEntry[]): ServerEntry | undefined {
    if (servers !== this.snapshot) {
      this.snapshot = servers;
      this.handedOut.clear();
    }
    let best = Infinity;
    const tied: ServerEntry[] = [];
    for (const s of servers) {
      const load = s.connections + (this.handedOut.get(s.nodeId) ?? 0);
      if (load < best) {
        best = load;
        tied.length = 0;
      }
      if (load === best) tied.push(s);
    }
    if (tied.length === 0) return undefined;
    const chosen = tied[Math.min(tied.length - 1, Math.floor(this.random() * tied.length))]!;
    this.handedOut.set(chosen.nodeId, (this.handedOut.get(chosen.nodeId) ?? 0) + 1);
    return chosen;
  }
}

/** Each node in turn, in nodeId order so that list order in Redis does not matter. */
export class RoundRobin implements BalancingStrategy {
  readonly name = 'round-robin';
  private snapshot: readonly ServerEntry[] | undefined;
  private sorted: readonly ServerEntry[] = [];
  private turn = 0;

  pick(servers: readonly ServerEntry[]): ServerEntry | undefined {
    if (servers !== this.snapshot) {
      this.snapshot = servers;
      this.sorted = [...servers].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
    }
    if (this.sorted.length === 0) return undefined;
    const chosen = this.sorted[this.turn % this.sorted.length]!;
    this.turn = (this.turn + 1) % Number.MAX_SAFE_INTEGER;
    return chosen;
  }
}

/** A uniformly random node. */
export class RandomChoice implements BalancingStrategy {
  readonly name = 'random';
  constructor(private readonly random: () => number = Math.random) {}

  pick(servers: readonly ServerEntry[]): ServerEntry | undefined {
    if (servers.length === 0) return undefined;
    const i = Math.min(servers.length - 1, Math.floor(this.random() * servers.length));
    return servers[i];
  }
}

export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

/** Builds a strategy by name (as configured). */
export function createStrategy(name: string, options: StrategyOptions = {}): BalancingStrategy {
  if (!isStrategyName(name)) {
    throw new InvalidArgument(
      `Unknown balancing strategy "${name}"; use one of ${STRATEGY_NAMES.join(', ')}.`,
      'UNKNOWN_STRATEGY',
    );
  }
  switch (name) {
    case 'least-connections':
      return new LeastConnections(options.random);
    case 'round-robin':
      return new RoundRobin();
    case 'random':
      return new RandomChoice(options.random);
  }
}
