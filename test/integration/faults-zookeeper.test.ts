import { startOwnZooKeeper, useScope, waitFor } from '../support';
import {
  finishScenario,
  NODE_IDS,
  SESSION_TIMEOUT_MS,
  startScenario,
  waitForAcks,
  waitForLeaderAmong,
} from '../support/fault-scenario';
import { TcpProxy } from '../support/tcp-proxy';
import { ZkOp } from '../support/zk-wire';
import type { ZkRequest } from '../support/zk-wire';

const isCandidateCreate = (r: ZkRequest): boolean =>
  (r.type === ZkOp.create || r.type === ZkOp.create2) && (r.path?.includes('/election/') ?? false);
const isElectionRead = (r: ZkRequest): boolean =>
  (r.type === ZkOp.getChildren || r.type === ZkOp.getChildren2) && (r.path?.endsWith('/election') ?? false);

/**
 * ZooKeeper faults under load, each with the scenario's own ZooKeeper: a
 * restart, and connections that drop while a session is being opened. Every
 * user is a ResilientClient; the checker requires every acknowledged message
 * to reach every recipient, and the role sampler never two leaders at once.
 */
describe('faults: ZooKeeper', () => {
  const scope = useScope();

  it('zk-restart: ZooKeeper restarts (same data dir, sessions survive)', async () => {
    const zk = await startOwnZooKeeper(scope);
    const s = await startScenario(scope, { name: 'zk-restart', env: { ZK_HOSTS: zk.hosts } });
    const before = await s.cluster.waitForLeader();
    await waitForAcks(s, 10, 'before the fault', 0);

    const faultAt = Date.now();
    await zk.restart();
    const after = await s.cluster.waitForLeader('one leader after the ZooKeeper restart', 30_000);
    expect(after.epoch).toBeGreaterThanOrEqual(before.epoch);
    await waitForAcks(s, 10, 'after ZooKeeper came back', Date.now());

    await finishScenario(s, { faultAt });
  }, 120_000);

  it('zk-drop-during-open: the connection drops right after the election check of a first session, and right after a new candidate', async () => {
    const zk = await startOwnZooKeeper(scope);
    const proxies = new Map<string, TcpProxy>();
    for (const id of NODE_IDS) {
      const proxy = await TcpProxy.start({ targetHost: '127.0.0.1', targetPort: zk.port });
      scope.defer(() => proxy.close(), `close proxy of ${id}`);
      proxies.set(id, proxy);
    }
    const n1 = proxies.get('n1') as TcpProxy;
    // n1 opens the first session of the cluster: the election check answers "lowest candidate",
    // then the connection drops before the parallel view read reaches ZooKeeper.
    const firstCut = n1.cutZooKeeperAt((r, before) => isElectionRead(r) && before.some(isCandidateCreate));
    const s = await startScenario(scope, {
      name: 'zk-drop-during-open',
      nodeEnv: (id) => ({ ZK_HOSTS: proxies.get(id)?.address ?? '' }),
    });
    const fired = await firstCut;
    expect(fired.path).toMatch(/\/election$/);
    const { leaderId, epoch } = await s.cluster.waitForLeader();
    await waitForAcks(s, 10, 'after the first session opened', 0);

    // Under load: the leader's session expires behind a silent proxy, and its next session loses
    // the connection just after it created its candidate.
    const faultAt = Date.now();
    const proxy = proxies.get(leaderId) as TcpProxy;
    proxy.blackhole();
    const elected = await waitForLeaderAmong(
      s,
      NODE_IDS.filter((id) => id !== leaderId),
    );
    expect(elected.epoch).toBeGreaterThan(epoch);
    await waitFor(() => Date.now() - faultAt >= 1.5 * SESSION_TIMEOUT_MS, {
      what: 'the old session to have expired',
      timeoutMs: 10_000,
    });
    const secondCut = proxy.cutZooKeeperAt(isCandidateCreate);
    proxy.heal();
    await secondCut;
    const healed = await s.cluster.waitForLeader(`${leaderId} back as a follower`, 30_000);
    expect(healed.leaderId).not.toBe(leaderId);
    await waitForAcks(s, 10, 'after the node rejoined', Date.now());

    await finishScenario(s, { faultAt });
  }, 120_000);
});
