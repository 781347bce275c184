import { useScope } from '../support';
import {
  finishScenario,
  NODE_IDS,
  startScenario,
  waitForAcks,
  waitForNewLeader,
} from '../support/fault-scenario';
import { waitFor } from '../../src/core/wait-for';

/**
 * Node faults under load: no acknowledged message may be lost, stored twice,
 * leave a gap or appear from nowhere (test/support/checker.ts). Each scenario
 * runs its own three-node cluster; ZK_SESSION_TIMEOUT_MS is 3000.
 */
describe('faults: chat nodes', () => {
  const scope = useScope();

  it('loses no acknowledged message when the leader is SIGKILLed under load', async () => {
    const s = await startScenario(scope, { name: 'fault-leader-kill' });
    const { leaderId, epoch } = await s.cluster.waitForLeader();
    await waitForAcks(s, 20, 'before the fault', 0);

    const faultAt = Date.now();
    await s.cluster.kill(leaderId);
    const next = await waitForNewLeader(s, leaderId);
    expect(next.epoch).toBeGreaterThan(epoch);
    await waitForAcks(s, 30, 'through the new leader', faultAt);

    await finishScenario(s, { failoverFrom: faultAt });
  }, 90_000);

  it('fences a leader paused (SIGSTOP) past its session timeout, then woken', async () => {
    const s = await startScenario(scope, { name: 'fault-leader-pause' });
    const { leaderId, epoch } = await s.cluster.waitForLeader();
    await waitForAcks(s, 20, 'before the fault', 0);

    // A client of the leader whose room send reaches it only when it wakes up.
    await s.cluster.createUser('zz');
    const probe = await s.cluster.login(leaderId, 'zz', { requestTimeoutMs: 30_000 });
    await probe.createRoom('zombie');

    const paused = s.cluster.node(leaderId);
    const faultAt = Date.now();
    paused.child.kill('SIGSTOP');
    // The paused node still counts as running, so wait on the other two only.
    const others = NODE_IDS.filter((id) => id !== leaderId);
    const elected = await waitFor(
      async () => {
        const infos = await Promise.all(others.map((id) => s.cluster.info(id)));
        const leader = infos.find((i) => i.role === 'leader');
        return leader && infos.every((i) => i.leaderId === leader.nodeId) ? leader : undefined;
      },
      { what: 'a new leader among the nodes that still run', timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(elected.epoch).toBeGreaterThan(epoch);
    await waitForAcks(s, 20, 'through the new leader while the old one sleeps', faultAt);
    // Longer than the session timeout: ZooKeeper has expired the paused node's session.
    await waitFor(() => Date.now() - faultAt > 5000, {
      what: 'the pause to outlast the session',
      timeoutMs: 10_000,
    });
    const zombieSend = probe.request({
      $case: 'sendRoom',
      value: { room: 'zombie', text: 'sent to a sleeping leader', idempotencyKey: 'zombie-1' },
    });
    paused.child.kill('SIGCONT');
    // Woken, the old leader must refuse: its epoch ended while it slept.
    await expect(zombieSend).rejects.toMatchObject({ code: 503 });
    const after = await s.cluster.waitForLeader('the woken node back as a follower', 20_000);
    expect(after.epoch).toBeGreaterThanOrEqual(elected.epoch);
    expect((await s.cluster.info(leaderId)).role).not.toBe('leader');
    await waitForAcks(s, 20, 'after the old leader woke', Date.now());

    await finishScenario(s, { failoverFrom: faultAt });
    // The woken node never claimed leadership again under its old epoch.
    const claims = s.sampler.of(leaderId).filter((x) => x.role === 'leader' && x.sentAt > faultAt);
    expect(claims).toEqual([]);
  }, 90_000);

  it('loses no acknowledged message when a follower is SIGKILLed and restarted', async () => {
    const s = await startScenario(scope, { name: 'fault-follower-kill' });
    const { leaderId } = await s.cluster.waitForLeader();
    const victim = NODE_IDS.find((id) => id !== leaderId) as string;
    await waitForAcks(s, 20, 'before the fault', 0);

    const faultAt = Date.now();
    await s.cluster.kill(victim);
    await s.cluster.waitForLeader('the two survivors to drop the killed follower');
    await waitForAcks(s, 20, 'after the follower died', faultAt);
    await s.cluster.startNode(victim);
    await s.cluster.waitForLeader('the restarted follower to rejoin');
    await waitForAcks(s, 20, 'after the follower rejoined', Date.now());

    await finishScenario(s);
  }, 90_000);
});
