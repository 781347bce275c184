import { LinkState } from '../../gen/chat/v1/cluster';
import type { DescribeClusterResponse, MemberStatus } from '../../gen/chat/v1/cluster';
import { rendezvousOwner } from '../../src/cluster/ownership/rendezvous';
import { conversation } from '../../src/core/names';
import { waitFor } from '../../src/core/wait-for';
import { CloseCode } from '../../src/protocol/close-codes';
import { TestCluster } from '../support/cluster';

/**
 * AdminService DescribeCluster, KickUser and DrainNode on real node
 * processes: one call from any node explains the whole cluster, and the
 * operator's actions reach the node they concern.
 */
describe('operator view: DescribeCluster, KickUser, DrainNode', () => {
  let cluster: TestCluster;
  let leaderId: string;
  let epoch: number;
  let followers: string[];

  const describeFrom = (nodeId: string): Promise<DescribeClusterResponse> =>
    cluster.admin.describeCluster(cluster.node(nodeId).rpcAddress);
  const admin = (): TestCluster['admin'] => cluster.admin;
  const member = (view: DescribeClusterResponse, nodeId: string): MemberStatus => {
    const found = view.members.find((m) => m.nodeId === nodeId);
    if (!found) throw new Error(`${nodeId} is not in ${view.members.map((m) => m.nodeId).join(',')}`);
    return found;
  };

  beforeAll(async () => {
    cluster = await TestCluster.start({ name: 'operator-describe', nodeIds: ['n1', 'n2', 'n3', 'n4'] });
    for (const name of ['olga', 'opal', 'oscar', 'otto']) await cluster.createUser(name);
    ({ leaderId, epoch } = await cluster.waitForLeader());
    followers = [...cluster.nodes.keys()].filter((id) => id !== leaderId).sort();
  });
  afterAll(() => cluster?.stop());

  it('explains the cluster from a follower: leader, roles, links, rooms, ZooKeeper, load', async () => {
    const [asker, other] = followers as [string, string];
    const olga = await cluster.login(other, 'olga');
    const opal = await cluster.login(asker, 'opal');
    await olga.createRoom('ops-room');
    await olga.sendDirect('opal', 'hello');
    await opal.waitForMessage((m) => m.text === 'hello');

    const view = await waitFor(
      async () => {
        const v = await describeFrom(asker);
        const linked = v.members.every(
          (m) => m.nodeId === asker || m.link?.state === LinkState.LINK_STATE_UP,
        );
        return linked && v.members.every((m) => m.status) ? v : undefined;
      },
      { what: `${asker} to see every link up and every member answer`, timeoutMs: 15_000 },
    );
    expect(view.nodeId).toBe(asker);
    expect(view.leaderId).toBe(leaderId);
    expect(view.epoch).toBe(epoch);
    expect(view.members.map((m) => m.nodeId)).toEqual(['n1', 'n2', 'n3', 'n4']);

    for (const m of view.members) {
      const status = m.status!;
      expect(status.nodeId).toBe(m.nodeId);
      expect(status.role).toBe(m.nodeId === leaderId ? 'leader' : 'follower');
      expect(status.leaderId).toBe(leaderId);
      expect(status.uptimeMs).toBeGreaterThan(0);
      expect(status.zookeeper?.connected).toBe(true);
      expect(status.zookeeper?.sessionId).toMatch(/^[0-9a-f]{16}$/);
      expect(status.zookeeper?.sessionAgeMs).toBeGreaterThan(0);
      // Every member's own links to the three others.
      expect(status.links.map((l) => l.peer)).toEqual(
        ['n1', 'n2', 'n3', 'n4'].filter((id) => id !== m.nodeId),
      );
      expect(m.info?.rpcAddress).toBe(cluster.node(m.nodeId).rpcAddress);
    }
    expect(member(view, asker).link).toBeUndefined();
    const toLeader = member(view, leaderId).link!;
    expect(toLeader.incomingUp).toBe(true);
    expect(toLeader.lastSentAgeMs).toBeDefined();
    expect(toLeader.heldFrames).toBe(0);

    // Rooms are spread (the default): the room's rendezvous owner among the four runs it, nobody else.
    const owner = rendezvousOwner(conversation.room('ops-room'), ['n1', 'n2', 'n3', 'n4']) as string;
    for (const m of view.members) {
      expect(m.status?.roomOwnership).toBe('spread');
      expect(m.status?.handoverWaitingFor).toEqual([]);
      if (m.nodeId === owner) expect(m.status?.ownedRooms).toEqual(['ops-room']);
      else expect(m.status?.ownedRoomCount).toBe(0);
    }
    expect(member(view, asker).status?.sessions).toBe(1);
    const olgasNode = member(view, other).status!;
    expect(olgasNode.sessions).toBe(1);
    expect(olgasNode.connections).toBe(1);
    expect(olgasNode.messagesTotal).toBe(1);
    expect(olgasNode.connectionsOpenedTotal).toBeGreaterThanOrEqual(1);
  });

  it('reports a member that does not answer, without waiting for it', async () => {
    const [asker, , paused] = followers as [string, string, string];
    const child = cluster.node(paused).child;
    child.kill('SIGSTOP');
    try {
      const view = await describeFrom(asker);
      expect(member(view, paused).status).toBeUndefined();
      expect(member(view, paused).error).toMatch(new RegExp(`${paused} did not answer`));
      expect(member(view, leaderId).status?.role).toBe('leader');
    } finally {
      child.kill('SIGCONT');
    }
  });

  it('kicks a user from any node: the node that has the session closes it', async () => {
    const [asker, , elsewhere] = followers as [string, string, string];
    const otto = await cluster.login(elsewhere, 'otto');
    const kicked = new Promise((resolve) => otto.on('kicked', resolve));
    const answer = await waitFor(
      async () => {
        const r = await admin().kickUser(cluster.node(asker).rpcAddress, 'otto');
        return r.kicked ? r : undefined;
      },
      { what: `${asker} to learn where otto is and kick him`, timeoutMs: 10_000 },
    );
    expect(answer.nodeId).toBe(elsewhere);
    await kicked;
    expect((await otto.waitClosed()).code).toBe(CloseCode.KICKED);
    expect(await admin().kickUser(cluster.node(asker).rpcAddress, 'nobody-online')).toEqual({
      nodeId: '',
      kicked: false,
    });
  });

  it('drains a node named from another: its clients go, it leaves, the view shows it at once', async () => {
    const [asker, , drained] = followers as [string, string, string];
    const oscar = await cluster.login(drained, 'oscar');
    const node = cluster.node(drained);
    const answer = await admin().drainNode(cluster.node(asker).rpcAddress, drained);
    expect(answer).toEqual({ nodeId: drained, draining: true });
    expect((await oscar.waitClosed()).code).toBe(CloseCode.SERVER_SHUTDOWN);
    expect(await node.exited).toBe(0);
    cluster.nodes.delete(drained);
    // The view is read when asked: the clean leave shows as soon as ZooKeeper tells the asker.
    const view = await waitFor(
      async () => {
        const v = await describeFrom(asker);
        return v.members.some((m) => m.nodeId === drained) ? undefined : v;
      },
      { what: `${asker} to see ${drained} gone`, timeoutMs: 1000, intervalMs: 20 },
    );
    expect(view.members).toHaveLength(3);
    expect(view.leaderId).toBe(leaderId);
  });

  it('shows a killed member as unlinked and silent within a second, before ZooKeeper drops it', async () => {
    const [asker, killed] = [...cluster.nodes.keys()].filter((id) => id !== leaderId).sort() as [
      string,
      string,
    ];
    await cluster.kill(killed);
    const view = await waitFor(
      async () => {
        const v = await describeFrom(asker);
        const m = v.members.find((x) => x.nodeId === killed);
        return m && m.link?.state !== LinkState.LINK_STATE_UP && !m.status ? v : undefined;
      },
      { what: `${asker} to see its link to ${killed} break`, timeoutMs: 1000, intervalMs: 20 },
    );
    // Still a member until its ZooKeeper session expires (ZK_SESSION_TIMEOUT_MS), but visibly gone.
    expect(member(view, killed).error).toMatch(new RegExp(`${killed} did not answer`));
    expect(member(view, leaderId).status?.role).toBe('leader');
  });
});
