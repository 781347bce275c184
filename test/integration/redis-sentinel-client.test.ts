import { SentinelConnector } from 'ioredis';
import { silentLogger } from '../../src/core/logger';
import { closeRedis, openRedis } from '../../src/redis/connect';
import { startOwnRedisSentinel, useScope, waitFor } from '../support';

/**
 * The client the node opens for a Sentinel-managed Redis keeps following the
 * master through a failover, including the one ioredis gives up on by itself.
 */
describe('openRedis through Sentinel', () => {
  const scope = useScope();

  it('is connected to the promoted replica even when the failover notice cuts short its look-up of the master', async () => {
    const sentinel = await startOwnRedisSentinel(scope);
    const redis = openRedis(
      { url: '', sentinels: sentinel.sentinelNodes, sentinelMaster: sentinel.masterName },
      silentLogger(),
      { lazyConnect: true, maxRetriesPerRequest: 3 },
    );
    scope.defer(() => closeRedis(redis), 'close the sentinel client');
    const statuses: string[] = [];
    for (const status of ['ready', 'end'] as const) redis.on(status, () => statuses.push(status));
    await redis.connect();
    await redis.set('before', '1');

    // In production the look-up takes a few milliseconds and the notice lands inside it now and
    // then (a CI run saw it). Holding the look-ups that start after the kill until the sentinels
    // have switched makes it land there every time: ioredis then cancels the look-up and ends
    // the client instead of retrying.
    let switched = (): void => undefined;
    const failedOver = new Promise<void>((resolve) => {
      switched = resolve;
    });
    const lookUp = Reflect.get(SentinelConnector.prototype, 'resolve') as (
      ...args: unknown[]
    ) => Promise<unknown>;
    Reflect.set(
      SentinelConnector.prototype,
      'resolve',
      async function heldLookUp(this: unknown, ...args: unknown[]) {
        const found = await lookUp.apply(this, args);
        await failedOver;
        await new Promise((resolve) => setTimeout(resolve, 300));
        return found;
      },
    );
    scope.defer(() => Reflect.set(SentinelConnector.prototype, 'resolve', lookUp), 'restore the look-up');

    const master = await sentinel.master();
    await master.kill();
    const promoted = await sentinel.waitForFailover(master);
    switched();
    await waitFor(() => redis.status === 'ready' || undefined, {
      what: `the client to be connected to the promoted replica ${promoted.port}`,
      timeoutMs: 15_000,
      describe: () => `status ${redis.status}; seen: ${statuses.join(', ')}`,
    });
    // The race happened: the client ended once on its own, and was opened again.
    expect(statuses).toContain('end');
    await redis.set('after', '2');
    expect(await redis.get('after')).toBe('2');
  }, 60_000);
});
