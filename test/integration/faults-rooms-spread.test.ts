import { rendezvousOwner } from '../../src/cluster/ownership/rendezvous';
import { conversation } from '../../src/core/names';
import { waitFor } from '../../src/core/wait-for';
import { useScope } from '../support';
import {
  finishScenario,
  NODE_IDS,
  startScenario,
  waitForAcks,
  waitForNewLeader,
} from '../support/fault-scenario';
import type { Scenario } from '../support/fault-scenario';
import type { WorkloadRoom } from '../support/workload';

const ALL4 = [...NODE_IDS, 'n4'];
const ownerAmong = (room: string, members: string[]): string =>
  rendezvousOwner(conversation.room(room), members) as string;

/** The first of `spread-0`, `spread-1`... whose owners among each `[members, owner]` pair match. */
function roomOwnedBy(taken: string[], ...views: Array<[string[], string]>): string {
  for (let i = 0; i < 1000; i++) {
    const name = `spread-${i}`;
    if (!taken.includes(name) && views.every(([members, owner]) => ownerAmong(name, members) === owner))
      return name;
  }
  throw new Error(`no room with owners ${JSON.stringify(views)}`);
}

/**
 * One room run by each of n1, n2 and n3 (and kept by it when n4 joins), and
 * one that n4 takes when it joins; each of two thirds of the users, shifted,
 * so every room spans every node.
 */
function spreadRooms(users: string[]): WorkloadRoom[] {
  const names: string[] = [];
  for (const id of NODE_IDS) names.push(roomOwnedBy(names, [NODE_IDS, id], [ALL4, id]));
  names.push(roomOwnedBy(names, [ALL4, 'n4']));
  const third = Math.ceil(users.length / 3);
  return names.map((name, i) => ({
    name,
    members: [...users, ...users].slice(i * third, i * third + 2 * third),
  }));
}

async function ownedRooms(s: Scenario, nodeId: string): Promise<string[] | undefined> {
  const answer = await s.cluster.admin.nodeStatus(s.cluster.node(nodeId).rpcAddress);
  const status = answer.status;
  return status && status.handoverWaitingFor.length === 0 ? status.ownedRooms : undefined;
}

/** Resolves once every running node runs exactly the scenario's rooms that rendezvous gives it. */
async function settled(s: Scenario, what: string): Promise<void> {
  const ids = [...s.cluster.nodes.keys()].sort();
  await waitFor(
    async () => {
      for (const id of ids) {
        const owned = await ownedRooms(s, id);
        const expected = s.rooms.filter((r) => ownerAmong(r.name, ids) === id).map((r) => r.name);
        if (!owned || JSON.stringify(owned.sort()) !== JSON.stringify(expected.sort())) return undefined;
      }
      return true;
    },
    { what: `rooms to settle on ${ids.join(', ')} ${what}`, timeoutMs: 20_000, intervalMs: 100 },
  );
}

/**
 * Faults of room owners with rooms spread over the nodes (ROOM_OWNERSHIP=
 * spread), under the fault frame's load: each room's messages must reach
 * every member once, in order, whichever node runs it and however it moves.
 */
describe('faults: rooms spread over the nodes', () => {
  const scope = useScope();
  const env = { ROOM_OWNERSHIP: 'spread' };

  it('owner-kill: SIGKILL of a room owner that is not the leader, restarted 5 s later', async () => {
    const s = await startScenario(scope, { name: 'owner-kill', env, rooms: spreadRooms });
    const { leaderId, epoch } = await s.cluster.waitForLeader();
    await settled(s, 'before the fault');
    const victim = NODE_IDS.find((id) => id !== leaderId) as string;
    const room = s.rooms.find((r) => ownerAmong(r.name, NODE_IDS) === victim)?.name as string;
    await waitForAcks(s, 20, 'before the fault', 0);

    const faultAt = Date.now();
    await s.cluster.kill(victim);
    // The survivors take the dead owner's rooms; the leader stays.
    await settled(s, `after ${victim} died`);
    const survivors = NODE_IDS.filter((id) => id !== victim);
    expect(await ownedRooms(s, ownerAmong(room, survivors))).toContain(room);
    await waitForAcks(s, 20, `after ${victim}, owner of ${room}, died`, faultAt);
    expect((await s.cluster.info(leaderId)).epoch).toBe(epoch);
    await waitFor(() => Date.now() - faultAt >= 5000, {
      what: 'the node to stay dead 5 s',
      timeoutMs: 10_000,
    });
    await s.cluster.startNode(victim);
    await settled(s, `after ${victim} came back`);
    await waitForAcks(s, 20, 'after the owner came back', Date.now());

    await finishScenario(s, { faultAt });
  }, 150_000);

  it('node-join: a fourth node joins under load and takes its share of the rooms', async () => {
    const s = await startScenario(scope, { name: 'node-join', env, rooms: spreadRooms });
    await settled(s, 'before the join');
    await waitForAcks(s, 20, 'before the join', 0);

    const faultAt = Date.now();
    await s.cluster.startNode('n4');
    await settled(s, 'after n4 joined');
    const taken = s.rooms.filter((r) => ownerAmong(r.name, ALL4) === 'n4').map((r) => r.name);
    expect(taken.length).toBeGreaterThan(0);
    expect(await ownedRooms(s, 'n4')).toEqual(taken);
    await waitForAcks(s, 30, 'after n4 took its rooms', Date.now());

    await finishScenario(s, { faultAt });
  }, 150_000);

  it('leader-kill: SIGKILL of the leader, which owns a room too, restarted 5 s later', async () => {
    const s = await startScenario(scope, { name: 'spread-leader-kill', env, rooms: spreadRooms });
    const { leaderId, epoch } = await s.cluster.waitForLeader();
    await settled(s, 'before the fault');
    expect((await ownedRooms(s, leaderId))?.length).toBeGreaterThan(0);
    await waitForAcks(s, 20, 'before the fault', 0);

    const faultAt = Date.now();
    await s.cluster.kill(leaderId);
    const next = await waitForNewLeader(s, leaderId);
    expect(next.epoch).toBeGreaterThan(epoch);
    await settled(s, `after the leader ${leaderId} died`);
    await waitForAcks(s, 20, 'after the leader died', faultAt);
    await waitFor(() => Date.now() - faultAt >= 5000, {
      what: 'the node to stay dead 5 s',
      timeoutMs: 10_000,
    });
    await s.cluster.startNode(leaderId);
    await settled(s, `after ${leaderId} came back`);
    await waitForAcks(s, 20, 'after the node came back', Date.now());

    await finishScenario(s, { faultAt });
  }, 150_000);
});
