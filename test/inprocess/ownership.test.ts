/**
 * Rooms spread over the nodes (ROOM_OWNERSHIP=spread) on ChatNodes in this
 * process: each room runs on its rendezvous owner among the members, moves
 * when the membership changes, and is never run by two nodes at once.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ChatClient } from '../../src/client/chat-client';
import { ChatClientError } from '../../src/client/chat-client';
import { rendezvousOwner } from '../../src/cluster/ownership/rendezvous';
import { conversation } from '../../src/core/names';
import { waitFor } from '../../src/core/wait-for';
import { MemoryCluster } from '../support/memory-cluster';

const ROOMS = Array.from({ length: 40 }, (_, i) => `room-${i}`);

/** Retries `attempt` while it answers 503 (what a client does during a move), bounded by time. */
async function until503Passes<T>(
  attempt: () => Promise<T>,
  what: string,
  refusals: string[] = [],
): Promise<T> {
  const deadline = Date.now() + 10_000;
  // Bounded by the deadline; every refused round waits a little.
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ChatClientError) || err.code !== 503 || Date.now() > deadline)
        throw new Error(`${what}: ${String(err)}`, { cause: err });
      refusals.push(err.reason);
    }
    await delay(20);
  }
}

describe('rooms spread over the nodes in a one-process cluster', () => {
  let cluster: MemoryCluster;

  beforeEach(async () => {
    cluster = await MemoryCluster.start({ env: { ROOM_OWNERSHIP: 'spread' } });
    await cluster.waitForLeader();
    for (const name of ['amy', 'bo', 'cy', 'di']) await cluster.createUser(name, 'wolves');
  });
  afterEach(() => cluster.stop());

  const ownerAmong = (room: string, members: string[]): string =>
    rendezvousOwner(conversation.room(room), members) as string;

  async function status(nodeId: string) {
    const answer = await cluster.node(nodeId).node.admin?.nodeStatus?.();
    if (!answer?.status) throw new Error(`${nodeId} gave no status`);
    return answer.status;
  }

  /** Resolves once every running node runs exactly the rooms the rendezvous owner gives it. */
  async function settled(rooms: string[]): Promise<void> {
    const ids = cluster.nodeIds().sort();
    await waitFor(
      async () => {
        for (const id of ids) {
          const s = await status(id);
          const expected = rooms.filter((r) => ownerAmong(r, ids) === id).sort();
          if (s.handoverWaitingFor.length > 0 || JSON.stringify(s.ownedRooms) !== JSON.stringify(expected))
            return undefined;
        }
        return true;
      },
      { what: `rooms to settle on ${ids.join(', ')}`, timeoutMs: 8000, intervalMs: 10 },
    );
  }

  /** A room whose owner among `before` is `from` and among `after` is `to`. */
  function roomMoving(before: string[], from: string, after: string[], to: string): string {
    const room = ROOMS.find((r) => ownerAmong(r, before) === from && ownerAmong(r, after) === to);
    if (!room) throw new Error(`no room moves from ${from} to ${to}`);
    return room;
  }

  it('runs each room on its owner, and every node reaches it there', async () => {
    const [n1, n2, n3] = ['n1', 'n2', 'n3'];
    const amy = await cluster.login(n1, 'amy');
    const bo = await cluster.login(n2, 'bo');
    const cy = await cluster.login(n3, 'cy');
    const rooms = ROOMS.slice(0, 12);
    for (const room of rooms) {
      await amy.createRoom(room);
      await bo.joinRoom(room);
      await cy.joinRoom(room);
    }
    await settled(rooms);
    const owners = new Set(rooms.map((r) => ownerAmong(r, [n1, n2, n3])));
    expect(owners).toEqual(new Set([n1, n2, n3]));
    for (const [i, room] of rooms.entries()) {
      const sender = [amy, bo, cy][i % 3] as ChatClient;
      const ack = await sender.sendRoom(room, `to ${room}`);
      await Promise.all([amy, bo, cy].map((c) => c.waitForMessage((m) => m.id === ack.id)));
    }
    // Listing rooms needs every room: any node reads them from the store.
    expect((await cy.listRooms()).map((r) => r.name)).toEqual([...rooms].sort());
    // Channels are spread by name too; a world and an alliance message reach every node.
    const world = await bo.sendChannel('world', 'hello world');
    const pack = await cy.sendChannel('alliance', 'hello wolves');
    await Promise.all([amy, bo, cy].map((c) => c.waitForMessage((m) => m.id === world.id)));
    await Promise.all([amy, bo, cy].map((c) => c.waitForMessage((m) => m.id === pack.id)));
  });

  it('a node that joins takes its share, and those rooms keep working', async () => {
    const amy = await cluster.login('n1', 'amy');
    const bo = await cluster.login('n2', 'bo');
    const rooms = ROOMS.slice(0, 20);
    for (const room of rooms) {
      await amy.createRoom(room);
      await bo.joinRoom(room);
    }
    await settled(rooms);
    await cluster.startNode('n4');
    await settled(rooms);
    const taken = (await status('n4')).ownedRooms;
    expect(taken.length).toBeGreaterThan(0);
    expect(taken).toEqual(rooms.filter((r) => ownerAmong(r, ['n1', 'n2', 'n3', 'n4']) === 'n4').sort());
    const di = await cluster.login('n4', 'di');
    for (const room of taken) {
      await di.joinRoom(room);
      const ack = await amy.sendRoom(room, `after n4 joined: ${room}`);
      await Promise.all([bo, di].map((c) => c.waitForMessage((m) => m.id === ack.id)));
    }
  });

  it('moves an owner’s rooms to the survivors when it stops, without losing what was acknowledged', async () => {
    const amy = await cluster.login('n1', 'amy');
    const bo = await cluster.login('n2', 'bo');
    const rooms = ROOMS.filter((r) => ownerAmong(r, ['n1', 'n2', 'n3']) === 'n3').slice(0, 4);
    for (const room of rooms) {
      await amy.createRoom(room);
      await bo.joinRoom(room);
    }
    const sends = rooms.map((room, i) =>
      until503Passes(() => amy.sendRoom(room, `across the stop ${i}`, `stop-${i}`), `send to ${room}`),
    );
    const stopping = cluster.stopNode('n3');
    const acks = await Promise.all(sends);
    await stopping;
    await settled(rooms);
    for (const [i, room] of rooms.entries()) {
      const after = await until503Passes(() => bo.sendRoom(room, `after the stop ${i}`), `send to ${room}`);
      await amy.waitForMessage((m) => m.id === after.id);
      const history = await amy.history({ room });
      expect(history.messages.map((m) => m.seq).sort()).toEqual([1, 2]);
      expect(history.messages.map((m) => m.id)).toContain(acks[i]?.id);
    }
  });

  it('refuses a request routed by a stale view, and runs a gained room only once every member has moved on', async () => {
    const all3 = ['n1', 'n2', 'n3'];
    const all4 = [...all3, 'n4'];
    const room = roomMoving(all3, 'n3', all4, 'n4');
    const amy = await cluster.login('n1', 'amy');
    const bo = await cluster.login('n2', 'bo');
    await amy.createRoom(room);
    await bo.joinRoom(room);
    // n1 does not hear of n4 yet: it still routes `room` to n3.
    cluster.ensemble.holdWatches('n1');
    await cluster.startNode('n4');
    await waitFor(async () => (await status('n3')).ownershipVersion > (await status('n1')).ownershipVersion, {
      what: 'n3 to apply the view with n4',
      timeoutMs: 5000,
      intervalMs: 5,
    });
    // n4 owns the room but waits for n1, which has not applied the view: nobody runs it.
    await waitFor(
      async () => JSON.stringify((await status('n4')).handoverWaitingFor) === JSON.stringify(['n1']),
      { what: 'n4 waiting for n1 alone', timeoutMs: 5000, intervalMs: 5 },
    );
    expect((await status('n3')).ownedRooms).not.toContain(room);
    expect((await status('n4')).ownedRooms).not.toContain(room);
    await expect(amy.sendRoom(room, 'by the old view', 'stale-1')).rejects.toMatchObject({
      code: 503,
      reason: 'ROOM_MOVED',
    });
    cluster.ensemble.deliverWatches('n1');
    await settled([room]);
    const ack = await until503Passes(() => amy.sendRoom(room, 'by the old view', 'stale-1'), 'the retry');
    await bo.waitForMessage((m) => m.id === ack.id);
    expect(ack.seq).toBe(1);
  });

  it('keeps joins, leaves and sends right while the room moves in the middle of them', async () => {
    const all3 = ['n1', 'n2', 'n3'];
    const room = roomMoving(all3, 'n3', [...all3, 'n4'], 'n4');
    const amy = await cluster.login('n1', 'amy');
    const bo = await cluster.login('n2', 'bo');
    const cy = await cluster.login('n1', 'cy');
    await amy.createRoom(room);
    await cy.joinRoom(room);
    // The store holds membership writes until told to go on: they are in flight when the room moves.
    const rooms = cluster.shared.store.rooms;
    const add = rooms.addMember.bind(rooms);
    const remove = rooms.removeMember.bind(rooms);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let held = 0;
    rooms.addMember = async (r, u) => (held++, await gate, add(r, u));
    rooms.removeMember = async (r, u) => (held++, await gate, remove(r, u));
    // bo's join holds the room's turn in the store; cy's leave waits for it in the queue.
    const refused: string[] = [];
    const join = until503Passes(() => bo.joinRoom(room), 'bo joining', refused);
    await waitFor(() => held === 1, { what: 'the join in the store', timeoutMs: 2000, intervalMs: 2 });
    const leave = until503Passes(() => cy.leaveRoom(room), 'cy leaving', refused);
    const sends = [0, 1, 2].map((i) =>
      until503Passes(() => amy.sendRoom(room, `during the move ${i}`, `move-${i}`), 'a send'),
    );
    await cluster.startNode('n4');
    // n3 has given the room up but cannot say so before the join it started has finished.
    await waitFor(
      async () => {
        const [n3, n4] = [await status('n3'), await status('n4')];
        return n3.ownershipVersion === n4.ownershipVersion && n4.handoverWaitingFor.includes('n3');
      },
      { what: 'n3 to give the room up while n4 waits for it', timeoutMs: 5000, intervalMs: 5 },
    );
    expect((await status('n4')).ownedRooms).not.toContain(room);
    open();
    rooms.addMember = add;
    rooms.removeMember = remove;
    const [joined] = await Promise.all([join, leave]);
    expect(joined.room?.isMember).toBe(true);
    // Both were refused by n3 once the room had moved, and retried at n4.
    expect(refused.filter((r) => r === 'ROOM_MOVED').length).toBeGreaterThanOrEqual(2);
    const acks = await Promise.all(sends);
    await settled([room]);
    // The new owner holds what the store holds.
    const stored = (await cluster.shared.store.rooms.get(room))?.members;
    expect(stored).toEqual(['amy', 'bo']);
    expect((await cluster.node('n4').node.admin?.getRoom?.(room))?.members).toEqual(stored);
    const after = await until503Passes(() => amy.sendRoom(room, 'after the move'), 'a send after');
    await bo.waitForMessage((m) => m.id === after.id);
    const history = await amy.history({ room });
    const seqs = history.messages.map((m) => m.seq).sort((a, b) => a - b);
    expect(seqs).toEqual([1, 2, 3, 4]);
    for (const ack of acks) expect(history.messages.map((m) => m.id)).toContain(ack.id);
    expect(cy.received().map((m) => m.text)).not.toContain('after the move');
  });

  it('an owner whose ZooKeeper session expires runs nothing until its rooms are handed back', async () => {
    const rooms = ROOMS.filter((r) => ownerAmong(r, ['n1', 'n2', 'n3']) === 'n2').slice(0, 3);
    const amy = await cluster.login('n1', 'amy');
    const cy = await cluster.login('n3', 'cy');
    for (const room of rooms) {
      await amy.createRoom(room);
      await cy.joinRoom(room);
    }
    await settled(rooms);
    cluster.ensemble.expire('n2');
    expect((await status('n2')).ownedRoomCount).toBe(0);
    for (const [i, room] of rooms.entries()) {
      const ack = await until503Passes(() => amy.sendRoom(room, `while n2 is away ${i}`), 'a send');
      await cy.waitForMessage((m) => m.id === ack.id);
    }
    await cluster.waitForLeader('n2 registered again');
    await settled(rooms);
    const back = await until503Passes(() => cy.sendRoom(rooms[0] as string, 'n2 runs it again'), 'a send');
    await amy.waitForMessage((m) => m.id === back.id);
  });

  it('with ROOM_OWNERSHIP=leader every room runs on the leader', async () => {
    await cluster.stop();
    cluster = await MemoryCluster.start({ env: { ROOM_OWNERSHIP: 'leader' } });
    const { leaderId } = await cluster.waitForLeader();
    await cluster.createUser('amy');
    const amy = await cluster.login('n2', 'amy');
    for (const room of ROOMS.slice(0, 6)) await amy.createRoom(room);
    expect((await status(leaderId)).ownedRooms).toEqual(ROOMS.slice(0, 6).sort());
    for (const id of cluster.nodeIds().filter((n) => n !== leaderId))
      expect((await status(id)).ownedRoomCount).toBe(0);
    expect((await status(leaderId)).roomOwnership).toBe('leader');
  });
});
