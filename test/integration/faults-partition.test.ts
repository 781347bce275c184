import { useScope, waitFor, zkHosts } from '../support';
import {
  finishScenario,
  NODE_IDS,
  SESSION_TIMEOUT_MS,
  startScenario,
  waitForAcks,
  waitForLeaderAmong,
} from '../support/fault-scenario';
import type { TestScope } from '../support/scope';
import { LinkCutter } from '../support/link-cutter';
import { TcpProxy } from '../support/tcp-proxy';

/** A TCP proxy to the shared ZooKeeper for each node, so one node can be cut off from it alone. */
async function zkProxies(scope: TestScope): Promise<Map<string, TcpProxy>> {
  const [host, port] = zkHosts().split(',')[0]?.split(':') ?? [];
  const proxies = new Map<string, TcpProxy>();
  for (const id of NODE_IDS) {
    const proxy = await TcpProxy.start({ targetHost: host ?? '127.0.0.1', targetPort: Number(port) });
    scope.defer(() => proxy.close(), `close proxy of ${id}`);
    proxies.set(id, proxy);
  }
  return proxies;
}

/**
 * Network faults: a node cut off from ZooKeeper only (its proxy drops every
 * byte, sockets stay open), or from its peers only (its gRPC links, while
 * ZooKeeper still sees it). Every user is a ResilientClient; the checker
 * requires every acknowledged message to reach every recipient.
 */
describe('faults: network partitions', () => {
  const scope = useScope();

  it('leader-partition: the leader cut off from ZooKeeper steps down by its own timer', async () => {
    const proxies = await zkProxies(scope);
    const s = await startScenario(scope, {
      name: 'leader-partition',
      nodeEnv: (id) => ({ ZK_HOSTS: proxies.get(id)?.address ?? '' }),
    });
    const { leaderId, epoch } = await s.cluster.waitForLeader();
    await waitForAcks(s, 10, 'before the fault', 0);

    const cutAt = Date.now();
    proxies.get(leaderId)?.blackhole();
    const stepDown = await waitFor(
      () => s.sampler.of(leaderId).find((x) => x.sentAt > cutAt && x.role !== 'leader'),
      { what: `${leaderId} to stop claiming leadership`, timeoutMs: 10_000 },
    );
    const elected = await waitForLeaderAmong(
      s,
      NODE_IDS.filter((id) => id !== leaderId),
    );
    const electedAt = Date.now();
    expect(elected.epoch).toBeGreaterThan(epoch);
    await waitForAcks(s, 10, 'through the new leader during the partition', cutAt);

    proxies.get(leaderId)?.heal();
    const healed = await s.cluster.waitForLeader('the cut-off node back as a follower', 30_000);
    expect(healed.leaderId).not.toBe(leaderId);
    expect(healed.epoch).toBe(elected.epoch);
    await waitForAcks(s, 10, 'after the partition healed', Date.now());

    const lastClaim = s.sampler
      .of(leaderId)
      .filter((x) => x.role === 'leader' && x.sentAt > cutAt)
      .reduce((t, x) => Math.max(t, x.at), cutAt);
    await finishScenario(s, { faultAt: cutAt });
    // Safety: no claim of leadership once ZooKeeper may have expired the session.
    const late = s.sampler
      .of(leaderId)
      .filter((x) => x.role === 'leader' && x.sentAt >= cutAt + SESSION_TIMEOUT_MS);
    expect(late).toEqual([]);
    console.log(
      `  partition: ${leaderId} last claimed leadership ${lastClaim - cutAt} ms after the cut, ` +
        `answered '${stepDown.role}' ${stepDown.at - cutAt} ms after it; ${elected.nodeId} led at epoch ` +
        `${elected.epoch} by ${electedAt - cutAt} ms`,
    );
  }, 120_000);

  it('follower-zk-cut: a follower cut from ZooKeeper only for 1.5 x the session timeout, gRPC links up', async () => {
    const proxies = await zkProxies(scope);
    const s = await startScenario(scope, {
      name: 'follower-zk-cut',
      nodeEnv: (id) => ({ ZK_HOSTS: proxies.get(id)?.address ?? '' }),
    });
    const { leaderId } = await s.cluster.waitForLeader();
    const victim = NODE_IDS.find((id) => id !== leaderId) as string;
    await waitForAcks(s, 10, 'before the fault', 0);

    const faultAt = Date.now();
    proxies.get(victim)?.blackhole();
    // ZooKeeper expires the session; the others drop the follower from the membership.
    await waitFor(
      async () => {
        const info = await s.cluster.info(leaderId);
        return info.nodes.every((n) => n.nodeId !== victim) ? true : undefined;
      },
      { what: `${leaderId} to drop ${victim} from the membership`, timeoutMs: 15_000 },
    );
    await waitFor(() => Date.now() - faultAt >= 1.5 * SESSION_TIMEOUT_MS, {
      what: 'the cut to last 1.5 x the session timeout',
      timeoutMs: 10_000,
    });
    proxies.get(victim)?.heal();
    await s.cluster.waitForLeader(`${victim} registered again under a new session`, 30_000);
    await waitForAcks(s, 10, 'after the follower came back', Date.now());

    await finishScenario(s, { faultAt });
  }, 120_000);

  it("node-link-cut: one follower's gRPC links cut for 5 s while ZooKeeper still sees it", async () => {
    const cutter = await LinkCutter.start(NODE_IDS);
    scope.defer(() => cutter.close(), 'close link proxies');
    const s = await startScenario(scope, {
      name: 'node-link-cut',
      nodeEnv: (id) => cutter.envFor(id),
    });
    const { leaderId } = await s.cluster.waitForLeader();
    const victim = NODE_IDS.find((id) => id !== leaderId) as string;
    await waitForAcks(s, 10, 'before the fault', 0);

    const faultAt = Date.now();
    cutter.cut(victim, s.cluster.node(victim).rpcAddress);
    await waitFor(() => Date.now() - faultAt >= 5000, { what: 'the cut to last 5 s', timeoutMs: 10_000 });
    cutter.heal();
    await s.cluster.waitForLeader('every link up again', 30_000);
    await waitForAcks(s, 10, 'after the links healed', Date.now());

    await finishScenario(s, { faultAt });
  }, 120_000);
});
