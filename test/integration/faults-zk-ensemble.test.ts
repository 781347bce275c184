import { startOwnZooKeeperEnsemble, useScope, waitFor } from '../support';
import { finishScenario, NODE_IDS, startScenario, waitForAcks } from '../support/fault-scenario';
import { expectEpochsOnlyGrow } from './engine-faults-support';

/**
 * A three-server ZooKeeper ensemble of the scenario's own: its leader is
 * SIGKILLed under load, then (once it is back) a follower, then two servers
 * at once so that no quorum is left. The chat cluster keeps at most one chat
 * leader in every sampled instant, epochs only grow, and nothing
 * acknowledged is lost (test/support/checker.ts).
 */
describe('faults: ZooKeeper ensemble', () => {
  const scope = useScope();

  it('keeps one chat leader and loses nothing when the ensemble loses its leader, a follower, then its quorum', async () => {
    const zk = await startOwnZooKeeperEnsemble(scope);
    const s = await startScenario(scope, { name: 'fault-zk-ensemble', env: { ZK_HOSTS: zk.hosts } });
    const before = await s.cluster.waitForLeader();
    await waitForAcks(s, 20, 'before the faults', 0);

    const zkLeader = await zk.leader();
    const faultAt = Date.now();
    await zkLeader.kill();
    const zkNext = await zk.waitForQuorum(30_000, 'the two ZooKeeper survivors to elect a leader');
    expect(zkNext).not.toBe(zkLeader);
    const afterLeader = await s.cluster.waitForLeader(
      'one chat leader after the ZooKeeper leader died',
      30_000,
    );
    expect(afterLeader.epoch).toBeGreaterThanOrEqual(before.epoch);
    await waitForAcks(s, 30, 'after the ZooKeeper leader died', Date.now());

    await zkLeader.restart();
    await zk.waitForQuorum(30_000, 'the old ZooKeeper leader back as a follower');
    const [follower] = await zk.followers();
    if (!follower) throw new Error('the ensemble has no follower');
    await follower.kill();
    await zk.waitForQuorum(30_000, 'the ensemble without one follower');
    const afterFollower = await s.cluster.waitForLeader(
      'one chat leader after a ZooKeeper follower died',
      30_000,
    );
    expect(afterFollower.epoch).toBeGreaterThanOrEqual(afterLeader.epoch);
    await waitForAcks(s, 30, 'after a ZooKeeper follower died', Date.now());

    // Two of three down: no quorum, so every chat leader must stop leading at its fencing deadline.
    const current = await zk.leader();
    await current.kill();
    await waitFor(
      async () => {
        const infos = await Promise.all(NODE_IDS.map((id) => s.cluster.info(id)));
        return infos.every((info) => info.role !== 'leader');
      },
      { what: 'no chat node leading without a ZooKeeper quorum', timeoutMs: 20_000, intervalMs: 100 },
    );
    await Promise.all([follower.restart(), current.restart()]);
    await zk.waitForQuorum(30_000, 'the ensemble back with all three servers');
    const afterQuorum = await s.cluster.waitForLeader('one chat leader after the quorum came back', 30_000);
    expect(afterQuorum.epoch).toBeGreaterThanOrEqual(afterFollower.epoch);
    await waitForAcks(s, 30, 'after the quorum came back', Date.now());

    await finishScenario(s, { faultAt });
    const epochs = expectEpochsOnlyGrow(s);
    console.log(`chat leader epochs seen: ${epochs.join(' -> ')}`);
  }, 150_000);
});
