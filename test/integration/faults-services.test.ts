import { setTimeout as delay } from 'node:timers/promises';
import { RedisKeys } from '../../src/core/names';
import { connectRedis, startOwnRedis, startOwnZooKeeper, useScope, waitFor } from '../support';
import { finishScenario, startScenario, waitForAcks } from '../support/fault-scenario';

/**
 * Redis and ZooKeeper restarts under load, each with the scenario's own
 * server (never the shared one). The checker (test/support/checker.ts) must
 * find nothing acknowledged lost, duplicated, skipped or invented.
 */
describe('faults: Redis and ZooKeeper', () => {
  const scope = useScope();

  it('loses no acknowledged message when Redis restarts (empty) under load', async () => {
    const redis = await startOwnRedis(scope);
    const s = await startScenario(scope, { name: 'fault-redis-restart', env: { REDIS_URL: redis.url } });
    await waitForAcks(s, 20, 'before the fault', 0);

    await redis.stop();
    // Down for a while (the fault's length, not a synchronisation): sends fail and are retried.
    await delay(1500);
    await redis.restart();
    await s.cluster.waitForLeader('the cluster after the Redis restart');
    await waitForAcks(s, 30, 'after Redis came back', Date.now());
    // Redis came back empty: the nodes put their sessions and the server list back,
    // so online users are found again (no more USER_OFFLINE) and the gateway has nodes to hand out.
    const offlineBefore = s.checker.outcomeCount('stored');
    await waitForAcks(s, 30, 'direct messages after Redis came back', Date.now(), 'direct');
    expect(s.checker.outcomeCount('stored')).toBe(offlineBefore);
    const keys = new RedisKeys(s.cluster.env.REDIS_PREFIX as string);
    const client = await connectRedis(scope, { url: redis.url });
    await waitFor(
      async () => {
        const list = await client.get(keys.servers());
        return list !== null && (JSON.parse(list) as unknown[]).length === 3;
      },
      { what: 'the server list back in Redis', timeoutMs: 10_000 },
    );

    await finishScenario(s);
  }, 90_000);

  it('loses no acknowledged message when ZooKeeper restarts under load', async () => {
    const zk = await startOwnZooKeeper(scope);
    const s = await startScenario(scope, { name: 'fault-zk-restart', env: { ZK_HOSTS: zk.hosts } });
    const before = await s.cluster.waitForLeader();
    await waitForAcks(s, 20, 'before the fault', 0);

    const faultAt = Date.now();
    await zk.restart();
    const after = await s.cluster.waitForLeader('one leader after the ZooKeeper restart', 30_000);
    expect(after.epoch).toBeGreaterThanOrEqual(before.epoch);
    await waitForAcks(s, 30, 'after ZooKeeper came back', Date.now());

    // No leader change is needed here: the measure is the longest time without a room acknowledgement.
    await finishScenario(s, { outageFrom: faultAt, outageTo: Date.now() });
  }, 90_000);
});
