import { useScope, waitFor, zkHosts } from '../support';
import { finishScenario, NODE_IDS, startScenario, waitForAcks } from '../support/fault-scenario';
import { TcpProxy } from '../support/tcp-proxy';

const SESSION_TIMEOUT_MS = 3000;

/**
 * The leader cut off from ZooKeeper only (its proxy drops every byte, sockets
 * stay open: node-zookeeper-client sees nothing). It must stop acting as
 * leader by its own timer before ZooKeeper can expire its session and elect
 * another node, and come back as a follower once the network heals.
 */
describe('faults: network partition', () => {
  const scope = useScope();

  it('steps a leader cut off from ZooKeeper down by its own timer; a new leader takes over', async () => {
    const [host, port] = zkHosts().split(',')[0]?.split(':') ?? [];
    const proxies = new Map<string, TcpProxy>();
    for (const id of NODE_IDS) {
      const proxy = await TcpProxy.start({ targetHost: host ?? '127.0.0.1', targetPort: Number(port) });
      scope.defer(() => proxy.close(), `close proxy of ${id}`);
      proxies.set(id, proxy);
    }
    const s = await startScenario(scope, {
      name: 'fault-leader-partition',
      env: { ZK_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS) },
      nodeEnv: (id) => ({ ZK_HOSTS: proxies.get(id)?.address ?? '' }),
    });
    const { leaderId, epoch } = await s.cluster.waitForLeader();
    await waitForAcks(s, 20, 'before the fault', 0);

    const cutAt = Date.now();
    proxies.get(leaderId)?.blackhole();
    const stepDown = await waitFor(
      () => s.sampler.of(leaderId).find((x) => x.sentAt > cutAt && x.role !== 'leader'),
      { what: `${leaderId} to stop claiming leadership`, timeoutMs: 10_000 },
    );
    const others = NODE_IDS.filter((id) => id !== leaderId);
    const elected = await waitFor(
      async () => {
        const infos = await Promise.all(others.map((id) => s.cluster.info(id)));
        const leader = infos.find((i) => i.role === 'leader');
        return leader && infos.every((i) => i.leaderId === leader.nodeId) ? leader : undefined;
      },
      { what: 'a new leader among the connected nodes', timeoutMs: 20_000, intervalMs: 100 },
    );
    const electedAt = Date.now();
    expect(elected.epoch).toBeGreaterThan(epoch);
    await waitForAcks(s, 20, 'through the new leader during the partition', cutAt);

    proxies.get(leaderId)?.heal();
    const healed = await s.cluster.waitForLeader('the cut-off node back as a follower', 30_000);
    expect(healed.leaderId).not.toBe(leaderId);
    expect(healed.epoch).toBe(elected.epoch);
    await waitForAcks(s, 20, 'after the partition healed', Date.now());

    const lastClaim = s.sampler
      .of(leaderId)
      .filter((x) => x.role === 'leader' && x.sentAt > cutAt)
      .reduce((t, x) => Math.max(t, x.at), cutAt);
    await finishScenario(s, { failoverFrom: cutAt, newLeaderSince: stepDown.at });
    // Safety: no claim of leadership once ZooKeeper may have expired the session.
    const late = s.sampler
      .of(leaderId)
      .filter((x) => x.role === 'leader' && x.sentAt >= cutAt + SESSION_TIMEOUT_MS);
    expect(late).toEqual([]);
    console.log(
      `  partition: ${leaderId} last claimed leadership ${lastClaim - cutAt} ms after the cut, ` +
        `answered '${stepDown.role}' ${stepDown.at - cutAt} ms after it (limit 2/3 of ${SESSION_TIMEOUT_MS} ms = ` +
        `${Math.floor((SESSION_TIMEOUT_MS * 2) / 3)} ms by its own timer); ${elected.nodeId} led at epoch ` +
        `${elected.epoch} by ${electedAt - cutAt} ms`,
    );
  }, 90_000);
});
