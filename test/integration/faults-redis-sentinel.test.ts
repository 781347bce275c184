import { startOwnRedisSentinel, useScope } from '../support';
import { finishScenario, startScenario, waitForAcks } from '../support/fault-scenario';
import { expectRedisStateWorks, watchSharedStateRecovery } from './engine-faults-support';

/**
 * A master, its replica and three sentinels of the scenario's own: the master
 * is SIGKILLed under load, the sentinels promote the replica, the nodes
 * follow it, and nothing acknowledged is lost (test/support/checker.ts).
 */
describe('faults: Redis Sentinel', () => {
  const scope = useScope();

  it('loses no acknowledged message when the master is SIGKILLed under load and the replica is promoted', async () => {
    const sentinel = await startOwnRedisSentinel(scope);
    const s = await startScenario(scope, {
      name: 'fault-redis-sentinel',
      env: { REDIS_SENTINELS: sentinel.sentinelHosts, REDIS_SENTINEL_MASTER: sentinel.masterName },
    });
    await waitForAcks(s, 20, 'before the fault', 0);
    await expectRedisStateWorks(scope, s, 'before');

    const master = await sentinel.master();
    const recovery = watchSharedStateRecovery(s);
    const faultAt = Date.now();
    await master.kill();
    const promoted = await sentinel.waitForFailover(master);
    // Reconnected to the promoted replica, which may lack the master's last writes.
    await recovery.waitForAll('after the promotion');
    expect(promoted.port).not.toBe(master.port);
    await waitForAcks(s, 30, 'after the promotion', Date.now());
    await waitForAcks(s, 20, 'direct messages after the promotion', Date.now(), 'direct');
    await expectRedisStateWorks(scope, s, 'sentinel');

    await finishScenario(s, { faultAt });
  }, 120_000);
});
