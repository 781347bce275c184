import { useScope } from '../support';
import {
  finishScenario,
  NODE_IDS,
  SESSION_TIMEOUT_MS,
  startScenario,
  waitForAcks,
} from '../support/fault-scenario';
import { interrupt } from '../support/node-faults';
import { waitFor } from '../../src/core/wait-for';

/**
 * Faults of a follower under load: every user is a ResilientClient, and the
 * checker (test/support/checker.ts) requires every acknowledged message to be
 * shown to every recipient, once, in order.
 */
describe('faults: a follower', () => {
  const scope = useScope();

  it('follower-kill: SIGKILL of a follower, restarted under the same id', async () => {
    const s = await startScenario(scope, { name: 'follower-kill' });
    const { leaderId } = await s.cluster.waitForLeader();
    const victim = NODE_IDS.find((id) => id !== leaderId) as string;
    await waitForAcks(s, 10, 'before the fault', 0);

    const faultAt = Date.now();
    await s.cluster.kill(victim);
    await s.cluster.waitForLeader('the two survivors to drop the killed follower');
    await waitForAcks(s, 10, 'after the follower died', faultAt);
    await s.cluster.startNode(victim);
    await s.cluster.waitForLeader('the restarted follower to rejoin');
    await waitForAcks(s, 10, 'after the follower rejoined', Date.now());

    await finishScenario(s, { faultAt });
  }, 120_000);

  it('follower-pause: SIGSTOP of a follower for 1.5 x the session timeout, then SIGCONT', async () => {
    const s = await startScenario(scope, { name: 'follower-pause' });
    const { leaderId } = await s.cluster.waitForLeader();
    const victim = NODE_IDS.find((id) => id !== leaderId) as string;
    await waitForAcks(s, 10, 'before the fault', 0);

    const paused = s.cluster.node(victim);
    const faultAt = Date.now();
    paused.child.kill('SIGSTOP');
    await waitFor(() => Date.now() - faultAt >= 1.5 * SESSION_TIMEOUT_MS, {
      what: 'the pause to outlast the session',
      timeoutMs: 10_000,
    });
    paused.child.kill('SIGCONT');
    await s.cluster.waitForLeader(`${victim} back in the membership`, 30_000);
    await waitForAcks(s, 10, 'after the follower woke', Date.now());

    await finishScenario(s, { faultAt });
  }, 120_000);

  it('follower-stop-reload: SIGINT of a follower, down 3 s, started again; then a reload (SIGINT, start at once)', async () => {
    const s = await startScenario(scope, { name: 'follower-stop-reload' });
    const { leaderId } = await s.cluster.waitForLeader();
    const victim = NODE_IDS.find((id) => id !== leaderId) as string;
    await waitForAcks(s, 10, 'before the fault', 0);

    const faultAt = Date.now();
    await interrupt(s.cluster, victim);
    await s.cluster.waitForLeader('the others after the graceful stop');
    await waitForAcks(s, 5, 'while the follower is down', faultAt);
    await waitFor(() => Date.now() - faultAt >= 3000, {
      what: 'the node to stay down 3 s',
      timeoutMs: 10_000,
    });
    await s.cluster.startNode(victim);
    await s.cluster.waitForLeader('the stopped follower back');

    // pm2 reload: SIGINT, and the same node starts again as soon as it is gone.
    await interrupt(s.cluster, victim);
    await s.cluster.startNode(victim);
    await s.cluster.waitForLeader('the reloaded follower back');
    await waitForAcks(s, 10, 'after the reload', Date.now());

    await finishScenario(s, { faultAt });
  }, 120_000);
});
