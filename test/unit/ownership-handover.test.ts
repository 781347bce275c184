import { Handover } from '../../src/cluster/ownership/handover';
import { OwnerTable, rendezvousOwner } from '../../src/cluster/ownership/rendezvous';
import { ManualClock } from '../../src/core/clock';
import { silentLogger } from '../../src/core/logger';

const KEYS = Array.from({ length: 300 }, (_, i) => `room:r${i}`);

describe('rendezvous owners', () => {
  it('are the same whatever order the members come in, and spread the keys', () => {
    const counts = new Map<string, number>();
    for (const key of KEYS) {
      const owner = rendezvousOwner(key, ['n1', 'n2', 'n3']) as string;
      expect(rendezvousOwner(key, ['n3', 'n1', 'n2'])).toBe(owner);
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    // 300 keys over 3 nodes: each gets a fair share (100 expected; far from 0 or 300).
    for (const id of ['n1', 'n2', 'n3']) expect(counts.get(id)).toBeGreaterThan(60);
    expect(rendezvousOwner('room:x', [])).toBeUndefined();
  });

  it('move only the keys a joining node wins or a leaving node held', () => {
    const before = new OwnerTable(['n1', 'n2', 'n3']);
    const joined = new OwnerTable(['n1', 'n2', 'n3', 'n4']);
    const left = new OwnerTable(['n1', 'n3']);
    let movedToNewcomer = 0;
    for (const key of KEYS) {
      const owner = before.ownerOf(key);
      if (joined.ownerOf(key) !== owner) {
        expect(joined.ownerOf(key)).toBe('n4');
        movedToNewcomer++;
      }
      if (owner !== 'n2') expect(left.ownerOf(key)).toBe(owner);
    }
    expect(movedToNewcomer).toBeGreaterThan(40);
    expect(movedToNewcomer).toBeLessThan(120);
  });
});

describe('the handover of a membership view', () => {
  let clock: ManualClock;
  let ready: number;

  function handover(self: string, timeoutMs = 1000): Handover {
    return new Handover({ self, timeoutMs, clock, logger: silentLogger(), onReady: () => ready++ });
  }

  /** A key owned by each `[members, owner]` pair's owner among its members. */
  function keyOwnedBy(...views: Array<[string[], string]>): string {
    const key = KEYS.find((k) => views.every(([members, owner]) => rendezvousOwner(k, members) === owner));
    if (!key) throw new Error(`no key with owners ${JSON.stringify(views)}`);
    return key;
  }

  beforeEach(() => {
    clock = new ManualClock();
    ready = 0;
  });

  it('runs everything it owns at once when it is the only member', () => {
    const h = handover('n1');
    h.apply({ version: 1, nodeIds: ['n1'] });
    expect(h.complete).toBe(true);
    expect(KEYS.every((k) => h.serves(k))).toBe(true);
    expect(ready).toBe(0);
  });

  it('runs gained keys only once every other member announced exactly this version', () => {
    const h = handover('n1');
    h.apply({ version: 3, nodeIds: ['n1', 'n2', 'n3'] });
    const mine = keyOwnedBy([['n1', 'n2', 'n3'], 'n1']);
    const theirs = keyOwnedBy([['n1', 'n2', 'n3'], 'n2']);
    expect(h.serves(mine)).toBe(false);
    expect(h.waitingFor()).toEqual(['n2', 'n3']);
    h.announce('n2', 3);
    h.announce('n3', 4); // ahead of this node: not this view's announcement
    expect(h.serves(mine)).toBe(false);
    expect(h.waitingFor()).toEqual(['n3']);
    h.announce('n3', 3);
    expect(h.complete).toBe(true);
    expect(ready).toBe(1);
    expect(h.serves(mine)).toBe(true);
    expect(h.serves(theirs)).toBe(false);
  });

  it('keeps running the keys a new view leaves with it, and waits for the ones it gains', () => {
    const h = handover('n1');
    h.apply({ version: 1, nodeIds: ['n1', 'n2', 'n3'] });
    h.announce('n2', 1);
    h.announce('n3', 1);
    const all: string[] = ['n1', 'n2', 'n3'];
    const kept = keyOwnedBy([all, 'n1'], [['n1', 'n3'], 'n1'], [['n1', 'n3', 'n4'], 'n1']);
    const gained = keyOwnedBy([all, 'n2'], [['n1', 'n3'], 'n1'], [['n1', 'n3', 'n4'], 'n1']);
    const lost = keyOwnedBy([all, 'n1'], [['n1', 'n3'], 'n1'], [['n1', 'n3', 'n4'], 'n4']);
    // n2 left.
    h.apply({ version: 2, nodeIds: ['n1', 'n3'] });
    expect(h.serves(kept)).toBe(true);
    expect(h.serves(gained)).toBe(false);
    // Before n3 announced 2, n4 joined: the chain from the last complete view still keeps `kept`.
    h.apply({ version: 3, nodeIds: ['n1', 'n3', 'n4'] });
    expect(h.serves(kept)).toBe(true);
    expect(h.serves(gained)).toBe(false);
    expect(h.serves(lost)).toBe(false);
    h.announce('n3', 3);
    h.announce('n4', 3);
    expect(h.serves(gained)).toBe(true);
    expect(h.serves(kept)).toBe(true);
    expect(h.serves(lost)).toBe(false);
  });

  it('runs what it gained after the timeout when a member never announces', () => {
    const h = handover('n1', 500);
    h.apply({ version: 7, nodeIds: ['n1', 'n2'] });
    const mine = keyOwnedBy([['n1', 'n2'], 'n1']);
    clock.advance(499);
    expect(h.serves(mine)).toBe(false);
    clock.advance(1);
    expect(h.complete).toBe(true);
    expect(ready).toBe(1);
    expect(h.serves(mine)).toBe(true);
  });

  it('keeps nothing across a lost session (an empty view) and serves nothing without being a member', () => {
    const h = handover('n1');
    h.apply({ version: 1, nodeIds: ['n1'] });
    h.apply({ version: 0, nodeIds: [] });
    expect(KEYS.some((k) => h.serves(k))).toBe(false);
    h.apply({ version: 5, nodeIds: ['n1', 'n2'] });
    expect(KEYS.some((k) => h.serves(k))).toBe(false);
    h.apply({ version: 6, nodeIds: ['n2'] });
    h.announce('n2', 6);
    expect(KEYS.some((k) => h.serves(k))).toBe(false);
  });

  it('remembers the owners of recent views, not of forgotten ones', () => {
    const h = handover('n1');
    for (let v = 1; v <= 10; v++) h.apply({ version: v, nodeIds: v % 2 ? ['n1', 'n2'] : ['n1', 'n3'] });
    expect(h.ownerAt(10, 'room:r1')).toBe(rendezvousOwner('room:r1', ['n1', 'n3']));
    expect(h.ownerAt(9, 'room:r1')).toBe(rendezvousOwner('room:r1', ['n1', 'n2']));
    expect(h.ownerAt(1, 'room:r1')).toBeNull();
  });
});
