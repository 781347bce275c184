import type { ServerEntry } from '../../src/gateway';
import {
  createStrategy,
  LeastConnections,
  RandomChoice,
  RoundRobin,
  STRATEGY_NAMES,
} from '../../src/gateway';
import { InvalidArgument } from '../../src/core/errors';

const entry = (nodeId: string, connections = 0): ServerEntry => ({
  nodeId,
  url: `ws://127.0.0.1/${nodeId}`,
  connections,
});

/** A deterministic "random" source cycling through the given values. */
const sequence = (...values: number[]): (() => number) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('LeastConnections', () => {
  it('picks the least loaded node', () => {
    const s = new LeastConnections();
    expect(s.pick([entry('a', 10), entry('b', 2), entry('c', 7)])?.nodeId).toBe('b');
  });

  it('counts its own hand-outs until the next snapshot', () => {
    const s = new LeastConnections(() => 0);
    const servers = [entry('a', 5), entry('b', 2), entry('c', 4)];
    const picks = Array.from({ length: 6 }, () => s.pick(servers)?.nodeId);
    // b goes 2→3→4, ties with c at 4 (tie → first), then c, then all at 5 → a, then b.
    expect(picks).toEqual(['b', 'b', 'b', 'c', 'a', 'b']);
    // A new snapshot (a fresh read) starts from the reported counts again.
    const fresh = [entry('a', 5), entry('b', 2), entry('c', 4)];
    expect(s.pick(fresh)?.nodeId).toBe('b');
  });

  it('breaks ties with the random source', () => {
    const servers = [entry('a', 1), entry('b', 1), entry('c', 1)];
    expect(new LeastConnections(() => 0).pick(servers)?.nodeId).toBe('a');
    expect(new LeastConnections(() => 0.5).pick(servers)?.nodeId).toBe('b');
    expect(new LeastConnections(() => 0.999).pick(servers)?.nodeId).toBe('c');
  });

  it('returns undefined without servers', () => {
    expect(new LeastConnections().pick([])).toBeUndefined();
  });
});

describe('RoundRobin', () => {
  it('cycles through the nodes in nodeId order', () => {
    const s = new RoundRobin();
    const servers = [entry('c'), entry('a'), entry('b')];
    expect(Array.from({ length: 5 }, () => s.pick(servers)?.nodeId)).toEqual(['a', 'b', 'c', 'a', 'b']);
  });

  it('keeps cycling over a changed list', () => {
    const s = new RoundRobin();
    expect(s.pick([entry('a'), entry('b')])?.nodeId).toBe('a');
    expect(s.pick([entry('a'), entry('b'), entry('c')])?.nodeId).toBe('b');
    expect(s.pick([entry('a')])?.nodeId).toBe('a');
    expect(s.pick([])).toBeUndefined();
  });
});

describe('RandomChoice', () => {
  it('maps the random source onto the list', () => {
    const servers = [entry('a'), entry('b'), entry('c'), entry('d')];
    const s = new RandomChoice(sequence(0, 0.26, 0.5, 0.99));
    expect(Array.from({ length: 4 }, () => s.pick(servers)?.nodeId)).toEqual(['a', 'b', 'c', 'd']);
    expect(new RandomChoice().pick([])).toBeUndefined();
  });
});

describe('createStrategy', () => {
  it('builds each strategy by name', () => {
    for (const name of STRATEGY_NAMES) expect(createStrategy(name).name).toBe(name);
    expect(createStrategy('least-connections')).toBeInstanceOf(LeastConnections);
    expect(createStrategy('round-robin')).toBeInstanceOf(RoundRobin);
    expect(createStrategy('random')).toBeInstanceOf(RandomChoice);
  });

  it('passes the random source on', () => {
    const servers = [entry('a'), entry('b')];
    expect(createStrategy('random', { random: () => 0.9 }).pick(servers)?.nodeId).toBe('b');
    expect(createStrategy('least-connections', { random: () => 0.9 }).pick(servers)?.nodeId).toBe('b');
  });

  it('rejects an unknown name with a readable error', () => {
    expect(() => createStrategy('fastest')).toThrow(InvalidArgument);
    expect(() => createStrategy('fastest')).toThrow(/least-connections, round-robin, random/);
  });
});
