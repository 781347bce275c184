import { LocalSessions } from '../../src/chat/local-sessions';
import { Presence } from '../../src/chat/presence';
import { idempotentId } from '../../src/chat/recorder';
import type { LocalSession, StoredMessage } from '../../src/chat/types';
import { pushCodec } from '../../src/protocol/push';
import { KeyedQueue } from '../../src/core/keyed-queue';

describe("Presence (every node's view of who is online where)", () => {
  it('groups online members by node and ignores offline ones', () => {
    const p = new Presence();
    p.snapshot('n1', [
      { username: 'a', sid: '1', loginAt: 1 },
      { username: 'b', sid: '2', loginAt: 1 },
    ]);
    p.online('n2', 'c', '3', 1);
    expect(Object.fromEntries(p.byNode(['a', 'b', 'c', 'd']))).toEqual({ n1: ['a', 'b'], n2: ['c'] });
  });

  it('moves a user to the node of the newest login and ignores a stale logout', () => {
    const p = new Presence();
    p.online('n1', 'a', 'old', 10);
    p.online('n2', 'a', 'new', 20);
    p.offline('n1', 'a', 'old');
    expect(p.nodeOf('a')).toBe('n2');
    p.offline('n2', 'a', 'new');
    expect(p.nodeOf('a')).toBeUndefined();
  });

  it('keeps the newer login when the report of an older one arrives late', () => {
    const p = new Presence();
    p.online('n2', 'a', 'new', 20);
    p.online('n1', 'a', 'old', 10);
    expect(p.get('a')).toEqual({ nodeId: 'n2', sid: 'new', loginAt: 20 });
    p.snapshot('n1', [{ username: 'a', sid: 'old', loginAt: 10 }]);
    expect(p.nodeOf('a')).toBe('n2');
    expect(p.byNode(['a'])).toEqual(new Map([['n2', ['a']]]));
  });

  it('replaces a node with its snapshot and forgets a node that left', () => {
    const p = new Presence();
    p.online('n1', 'a', '1', 1);
    p.snapshot('n1', [{ username: 'b', sid: '2', loginAt: 1 }]);
    expect(p.nodeOf('a')).toBeUndefined();
    expect(p.nodeOf('b')).toBe('n1');
    p.dropNode('n1');
    expect(p.onlineCount).toBe(0);
  });
});

describe('LocalSessions', () => {
  const message = (kind: StoredMessage['kind'], to: string): ReturnType<typeof pushCodec.fromMessage> =>
    pushCodec.fromMessage({ id: 'm', conversation: 'c', seq: 1, kind, from: 'x', to, text: 't', ts: 0 });
  const session = (username: string, alliance: string, sid: string, inbox: string[]): LocalSession => ({
    username,
    alliance,
    sid,
    loginAt: 0,
    peer: {
      push: (p) => inbox.push(`${username}:${p.message().kind}`),
      kick: () => inbox.push(`${username}:kicked`),
      hint: () => inbox.push(`${username}:hint`),
    },
  });

  it('delivers to named users, the world, and one alliance', () => {
    const inbox: string[] = [];
    const local = new LocalSessions();
    local.add(session('a', 'red', '1', inbox));
    local.add(session('b', 'blue', '2', inbox));
    local.add(session('c', 'red', '3', inbox));
    expect(local.deliver(message('direct', 'a'), ['a', 'zz'])).toBe(1);
    expect(local.broadcast(message('world', 'world'), '')).toBe(3);
    expect(local.broadcast(message('alliance', 'red'), 'red')).toBe(2);
    expect(inbox.filter((x) => x.endsWith('alliance')).sort()).toEqual(['a:alliance', 'c:alliance']);
  });

  it('removes a session only with its own sid, and a replaced session leaves its alliance', () => {
    const inbox: string[] = [];
    const local = new LocalSessions();
    local.add(session('a', 'red', 'old', inbox));
    const replaced = local.add(session('a', 'red', 'new', inbox));
    expect(replaced?.sid).toBe('old');
    expect(local.remove('a', 'old')).toBeUndefined();
    expect(local.broadcast(message('alliance', 'red'), 'red')).toBe(1);
    expect(local.remove('a', 'new')?.sid).toBe('new');
    expect(local.size).toBe(0);
  });
});

describe('KeyedQueue', () => {
  it('runs tasks of one key in order and other keys in parallel', async () => {
    const q = new KeyedQueue();
    const order: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const first = q.run('room', () =>
      new Promise<void>((r) => (releaseFirst = r)).then(() => order.push('room-1')),
    );
    const second = q.run('room', async () => order.push('room-2'));
    const other = q.run('other', async () => order.push('other'));
    await other;
    expect(order).toEqual(['other']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['other', 'room-1', 'room-2']);
  });

  it('keeps going after a failed task', async () => {
    const q = new KeyedQueue();
    await expect(q.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(q.run('k', async () => 'next')).resolves.toBe('next');
    await new Promise((r) => setImmediate(r));
    expect(q.pendingKeys).toBe(0);
  });
});

describe('idempotentId', () => {
  it('is stable for one sender, conversation and key, and differs otherwise', () => {
    const id = idempotentId('amy', 'dm:amy|bo', 'k1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(idempotentId('amy', 'dm:amy|bo', 'k1')).toBe(id);
    expect(idempotentId('amy', 'dm:amy|cy', 'k1')).not.toBe(id);
    expect(idempotentId('bo', 'dm:amy|bo', 'k1')).not.toBe(id);
    expect(idempotentId('amy', 'dm:amy|bo', 'k2')).not.toBe(id);
  });
});
