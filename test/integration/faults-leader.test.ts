import { useScope } from '../support';
import {
  finishScenario,
  NODE_IDS,
  startScenario,
  waitForAcks,
  waitForLeaderAmong,
  waitForNewLeader,
} from '../support/fault-scenario';
import { interrupt } from '../support/node-faults';
import { waitFor } from '../../src/core/wait-for';

/**
 * Faults of the leader under load (~30 users, ~20 direct and ~5 room
 * messages a second, ZK_SESSION_TIMEOUT_MS 3000): every user is a
 * ResilientClient, and the checker (test/support/checker.ts) requires every
 * acknowledged message to be shown to every recipient, once, in order.
 */
describe('faults: the leader', () => {
  const scope = useScope();

  it('leader-kill: SIGKILL of the leader, restarted 5 s later', async () => {
    const s = await startScenario(scope, { name: 'leader-kill' });
    const { leaderId, epoch } = await s.cluster.waitForLeader();
    await waitForAcks(s, 10, 'before the fault', 0);

    const faultAt = Date.now();
    await s.cluster.kill(leaderId);
    const next = await waitForNewLeader(s, leaderId);
    expect(next.epoch).toBeGreaterThan(epoch);
    await waitForAcks(s, 10, 'through the new leader', faultAt);
    await waitFor(() => Date.now() - faultAt >= 5000, {
      what: 'the node to stay dead 5 s',
      timeoutMs: 10_000,
    });
    await s.cluster.startNode(leaderId);
    await s.cluster.waitForLeader('the killed node back as a follower');
    await waitForAcks(s, 10, 'after the node came back', Date.now());

    await finishScenario(s, { faultAt });
  }, 120_000);

  it('leader-pause: SIGSTOP of the leader for 2 x the session timeout, then SIGCONT', async () => {
    const s = await startScenario(scope, { name: 'leader-pause' });
    const { leaderId, epoch } = await s.cluster.waitForLeader();
    await waitForAcks(s, 10, 'before the fault', 0);

    // A client of the leader whose room send reaches it only when it wakes up.
    await s.cluster.createUser('zz');
    const probe = await s.cluster.login(leaderId, 'zz', { requestTimeoutMs: 30_000 });
    await probe.createRoom('zombie');

    const paused = s.cluster.node(leaderId);
    const faultAt = Date.now();
    paused.child.kill('SIGSTOP');
    const others = NODE_IDS.filter((id) => id !== leaderId);
    const elected = await waitForLeaderAmong(s, others);
    expect(elected.epoch).toBeGreaterThan(epoch);
    await waitForAcks(s, 5, 'through the new leader while the old one sleeps', faultAt);
    await waitFor(() => Date.now() - faultAt >= 6000, {
      what: 'the pause to last 2 x 3 s',
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
    await waitForAcks(s, 10, 'after the old leader woke', Date.now());

    await finishScenario(s, { faultAt });
    const claims = s.sampler.of(leaderId).filter((x) => x.role === 'leader' && x.sentAt > faultAt);
    expect(claims).toEqual([]);
  }, 120_000);

  it('leader-stop-reload: SIGINT of the leader, down 3 s, started again; then a reload (SIGINT, start at once)', async () => {
    const s = await startScenario(scope, { name: 'leader-stop-reload' });
    const first = await s.cluster.waitForLeader();
    await waitForAcks(s, 10, 'before the fault', 0);

    const faultAt = Date.now();
    await interrupt(s.cluster, first.leaderId);
    await waitForNewLeader(s, first.leaderId);
    await waitForAcks(s, 5, 'after the graceful stop', faultAt);
    await waitFor(() => Date.now() - faultAt >= 3000, {
      what: 'the node to stay down 3 s',
      timeoutMs: 10_000,
    });
    await s.cluster.startNode(first.leaderId);
    const second = await s.cluster.waitForLeader('the stopped node back');

    // pm2 reload of the (new) leader: SIGINT, and the same node starts again as soon as it is gone.
    await interrupt(s.cluster, second.leaderId);
    await s.cluster.startNode(second.leaderId);
    await s.cluster.waitForLeader('the reloaded node back');
    await waitForAcks(s, 10, 'after the reload', Date.now());

    await finishScenario(s, { faultAt });
  }, 120_000);
});
