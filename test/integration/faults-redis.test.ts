import fs from 'node:fs/promises';
import path from 'node:path';
import { RedisKeys } from '../../src/core/names';
import { connectRedis, startOwnRedis, useScope, waitFor } from '../support';
import { finishScenario, startScenario, waitForAcks } from '../support/fault-scenario';
import type { Scenario } from '../support/fault-scenario';
import type { TestScope } from '../support/scope';

/** Until the nodes have written the server list back (the gateway hands out nothing before). */
async function serverListBack(scope: TestScope, s: Scenario, url: string): Promise<void> {
  const keys = new RedisKeys(s.cluster.env.REDIS_PREFIX as string);
  const redis = await connectRedis(scope, { url });
  await waitFor(
    async () => {
      const list = await redis.get(keys.servers());
      return list !== null && (JSON.parse(list) as unknown[]).length === 3;
    },
    { what: 'the server list back in Redis', timeoutMs: 10_000 },
  );
}

/**
 * Redis restarts under load, each with the scenario's own server: empty, and
 * from a snapshot older than the sessions it should hold (users who moved
 * to another node or logged out since). Every user is a ResilientClient; the
 * checker requires every acknowledged message to reach every recipient.
 */
describe('faults: Redis', () => {
  const scope = useScope();

  it('redis-restart-empty: Redis stops for 1.5 s and comes back without data', async () => {
    const redis = await startOwnRedis(scope);
    const s = await startScenario(scope, { name: 'redis-restart-empty', env: { REDIS_URL: redis.url } });
    await waitForAcks(s, 10, 'before the fault', 0);

    const faultAt = Date.now();
    await redis.stop();
    await waitFor(() => Date.now() - faultAt >= 1500, { what: 'Redis to stay down 1.5 s', timeoutMs: 5000 });
    await redis.restart();
    await s.cluster.waitForLeader('the cluster after the Redis restart');
    await serverListBack(scope, s, redis.url);
    await waitForAcks(s, 10, 'after Redis came back', Date.now());
    // The nodes put their sessions back: a direct message to an online user is not answered USER_OFFLINE.
    const offlineBefore = s.checker.outcomeCount('stored');
    await waitForAcks(s, 30, 'direct messages after the sessions are back', Date.now(), 'direct');
    expect(s.checker.outcomeCount('stored')).toBe(offlineBefore);

    await finishScenario(s, { faultAt });
  }, 120_000);

  it('redis-restart-stale: Redis comes back from a snapshot taken before users moved and left', async () => {
    const redis = await startOwnRedis(scope);
    const s = await startScenario(scope, { name: 'redis-restart-stale', env: { REDIS_URL: redis.url } });
    await waitForAcks(s, 10, 'before the snapshot', 0);
    const client = await connectRedis(scope, { url: redis.url });
    await client.save();
    const snapshot = path.join(redis.dataDir, 'before.rdb');
    await fs.copyFile(path.join(redis.dataDir, 'dump.rdb'), snapshot);

    // After the snapshot: five users move to another node, three log out.
    const movers = ['u2', 'u6', 'u10', 'u14', 'u18'];
    const leavers = ['u4', 'u8', 'u12'];
    await Promise.all(movers.map((u) => s.workload.agent(u).dropConnection()));
    await Promise.all(leavers.map((u) => s.workload.agent(u).logout(true)));
    await waitFor(() => movers.every((u) => s.workload.agent(u).client.connected) || undefined, {
      what: 'the movers reconnected elsewhere',
      timeoutMs: 10_000,
    });
    await waitForAcks(s, 10, 'after the moves', Date.now(), 'direct');

    const faultAt = Date.now();
    await redis.stop();
    await fs.copyFile(snapshot, path.join(redis.dataDir, 'dump.rdb'));
    await redis.restart();
    await s.cluster.waitForLeader('the cluster after the Redis restart');
    await serverListBack(scope, s, redis.url);
    await waitForAcks(s, 20, 'after Redis came back', Date.now(), 'direct');
    // The leavers come back on the same clients: what they saw before, plus LoginOk.missed.
    await Promise.all(leavers.map((u) => s.workload.agent(u).login()));
    await waitForAcks(s, 20, 'after the leavers came back', Date.now(), 'direct');

    await finishScenario(s, { faultAt });
  }, 120_000);
});
