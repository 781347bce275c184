import { RedisKeys, conversation } from '../../src/core/names';
import { startOwnRedisCluster, useScope } from '../support';
import { finishScenario, startScenario, waitForAcks } from '../support/fault-scenario';
import { expectRedisStateWorks, watchSharedStateRecovery } from './engine-faults-support';

/**
 * A Redis Cluster of the scenario's own (three masters, a replica each): the
 * master that holds the load's room history is SIGKILLed, its replica takes
 * over, and sessions, history and hot words keep working with nothing
 * acknowledged lost (test/support/checker.ts).
 */
describe('faults: Redis Cluster', () => {
  const scope = useScope();

  it('loses no acknowledged message when a master is SIGKILLed under load and its replica takes over', async () => {
    const redis = await startOwnRedisCluster(scope);
    const s = await startScenario(scope, {
      name: 'fault-redis-cluster',
      env: { REDIS_CLUSTER_NODES: redis.seeds },
    });
    await waitForAcks(s, 20, 'before the fault', 0);
    await expectRedisStateWorks(scope, s, 'before');

    // The master of the room's recent list: every room message of the load pushes to it.
    const keys = new RedisKeys(s.cluster.env.REDIS_PREFIX as string);
    const history = keys.history(conversation.room(s.rooms[0]!.name));
    const victim = await redis.masterOf(history);
    const recovery = watchSharedStateRecovery(s);
    const faultAt = Date.now();
    await victim.kill();
    await redis.waitForFailover(victim);
    // The replica may lack the master's last writes: a new master in the slot map makes every node
    // put its entries back, as after a Redis restart.
    await recovery.waitForAll('after the failover');
    const heir = await redis.masterOf(history);
    expect(heir.port).not.toBe(victim.port);
    await waitForAcks(s, 30, 'after the failover', Date.now());
    await waitForAcks(s, 20, 'direct messages after the failover', Date.now(), 'direct');
    await expectRedisStateWorks(scope, s, 'cluster');

    await finishScenario(s, { faultAt });
  }, 120_000);
});
