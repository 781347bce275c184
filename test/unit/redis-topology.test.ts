import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { ConfigError } from '../../src/config/env-reader';
import { loadGatewayConfig } from '../../src/config/gateway';
import { loadNodeConfig } from '../../src/config/node';
import { silentLogger } from '../../src/core/logger';
import { RedisKeys } from '../../src/core/names';
import { parseClusterNodes } from '../../src/devservices/redis-cluster';
import { describeRedis, openRedis, redisConnectionOptions, redisTopology } from '../../src/redis/connect';

describe('Redis topology configuration', () => {
  it('is one server at REDIS_URL by default', () => {
    const { redis } = loadNodeConfig({});
    expect(redis).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      clusterNodes: [],
      sentinels: [],
      tls: false,
    });
    expect(redisTopology(redis)).toBe('single');
  });

  it('reads the seed nodes of a Redis Cluster, IPv6 in brackets', () => {
    const { redis } = loadGatewayConfig({ REDIS_CLUSTER_NODES: 'r1:7000,10.0.0.2:7001,[::1]:7002' });
    expect(redis.clusterNodes).toEqual([
      { host: 'r1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(redisTopology(redis)).toBe('cluster');
    expect(describeRedis(redis)).toBe('cluster r1:7000,10.0.0.2:7001,::1:7002');
  });

  it('reads the sentinels, the master name and the sentinels’ password', () => {
    const { redis } = loadNodeConfig({
      REDIS_SENTINELS: 's1:26379,s2:26379,s3:26379',
      REDIS_SENTINEL_MASTER: 'chat-main',
      REDIS_SENTINEL_PASSWORD: 'sentinel secret',
    });
    expect(redis).toMatchObject({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: 's3', port: 26379 },
      ],
      sentinelMaster: 'chat-main',
      sentinelPassword: 'sentinel secret',
    });
    expect(redisTopology(redis)).toBe('sentinel');
    expect(describeRedis(redis)).toBe('sentinel chat-main via s1:26379,s2:26379,s3:26379');
  });

  it('refuses both at once, malformed lists and braces in the prefix', () => {
    let caught: unknown;
    try {
      loadNodeConfig({
        REDIS_CLUSTER_NODES: 'r1:7000',
        REDIS_SENTINELS: 's1:26379',
        REDIS_PREFIX: '{tenant}:',
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set/m);
    expect(problems).toMatch(/^REDIS_PREFIX="\{tenant\}:": must match/m);
    expect(() => loadNodeConfig({ REDIS_CLUSTER_NODES: 'r1' })).toThrow(
      /^.*REDIS_CLUSTER_NODES="r1": must match/m,
    );
    expect(() => loadNodeConfig({ REDIS_SENTINELS: 's1:1, s2:2' })).toThrow(/REDIS_SENTINELS=/);
  });

  it('turns TLS on for rediss://, REDIS_TLS or a CA file', () => {
    expect(loadNodeConfig({ REDIS_URL: 'rediss://r:6380' }).redis.tls).toBe(true);
    expect(loadNodeConfig({ REDIS_CLUSTER_NODES: 'r:7000', REDIS_TLS: 'true' }).redis.tls).toBe(true);
    const options = redisConnectionOptions(
      loadNodeConfig({ REDIS_CLUSTER_NODES: 'r:7000', REDIS_TLS: 'true' }).redis,
    );
    // Cluster nodes are announced by address: no SNI, the certificate is still checked against it.
    expect(options.tls).toEqual({ servername: '' });
  });
});

describe('openRedis', () => {
  const logger = silentLogger();

  it('opens a Cluster for cluster nodes and a sentinel-aware client for sentinels', () => {
    const cluster = openRedis({ url: '', clusterNodes: [{ host: '127.0.0.1', port: 1 }] }, logger, {
      lazyConnect: true,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 3,
      connectionName: 'chat-test',
    });
    expect(cluster).toBeInstanceOf(Cluster);
    const options = (cluster as Cluster).options;
    expect(options).toMatchObject({ lazyConnect: true, enableAutoPipelining: true });
    // Per-connection options go to every node's connection.
    expect(options.redisOptions).toMatchObject({ maxRetriesPerRequest: 3, connectionName: 'chat-test' });
    cluster.disconnect();

    const sentinel = openRedis(
      {
        url: '',
        sentinels: [{ host: '127.0.0.1', port: 1 }],
        sentinelMaster: 'm',
        sentinelPassword: 'sp',
        password: 'p',
      },
      logger,
      { lazyConnect: true },
    );
    expect(sentinel).toBeInstanceOf(Redis);
    expect((sentinel as Redis).options).toMatchObject({
      name: 'm',
      role: 'master',
      sentinelPassword: 'sp',
      password: 'p',
      failoverDetector: true,
    });
    sentinel.disconnect();
  });
});

describe('Redis key layout', () => {
  const keys = new RedisKeys('chat:');

  it('keeps what one script or command touches together in one cluster slot', () => {
    // The release script writes both hashes.
    expect(calculateSlot(keys.lastSeen())).toBe(calculateSlot(keys.sessions()));
    // A successful login deletes the pair's counter and wait in one DEL.
    expect(calculateSlot(keys.loginPairWait('amy', '10.0.0.1'))).toBe(
      calculateSlot(keys.loginPairFailures('amy', '10.0.0.1')),
    );
  });

  it('spreads the sessions of clusters with different prefixes and the login pairs over slots', () => {
    expect(calculateSlot(new RedisKeys('a:').sessions())).not.toBe(
      calculateSlot(new RedisKeys('b:').sessions()),
    );
    const slots = new Set(
      ['1', '2', '3', '4', '5'].map((n) => calculateSlot(keys.loginPairFailures(`u${n}`, 'x'))),
    );
    expect(slots.size).toBeGreaterThan(1);
  });
});

describe('CLUSTER NODES parsing (test harness)', () => {
  it('reads ports, roles, masters and slot ranges, skipping migrations', () => {
    const lines = parseClusterNodes(
      [
        'a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [5461->-b2]',
        'b2 127.0.0.1:7001@17001 master,fail - 0 0 2 connected',
        'c3 127.0.0.1:7002@17002 slave a1 0 0 1 connected',
        '',
      ].join('\n'),
    );
    expect(lines).toEqual([
      { id: 'a1', port: 7000, flags: ['myself', 'master'], masterId: '-', slots: [[0, 5460]] },
      { id: 'b2', port: 7001, flags: ['master', 'fail'], masterId: '-', slots: [] },
      { id: 'c3', port: 7002, flags: ['slave'], masterId: 'a1', slots: [] },
    ]);
  });
});
