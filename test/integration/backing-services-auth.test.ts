import fs from 'node:fs/promises';
import path from 'node:path';
import { Exception } from 'node-zookeeper-client';
import type { ACL, Client as ZkClient } from 'node-zookeeper-client';
import { createCa, issueCertificate } from '../../src/cluster/tls/certs';
import { silentLogger } from '../../src/core/logger';
import { RedisStreamSink, sessionRecord } from '../../src/export';
import { RedisKeys } from '../../src/core/names';
import { RedisRecentActivity } from '../../src/redis/activity';
import { openRedis } from '../../src/redis/connect';
import type { RedisConnection } from '../../src/redis/connect';
import { RedisLoginBackoff } from '../../src/redis/login-backoff';
import { RedisResumeTokens } from '../../src/redis/resume-tokens';
import { RedisSessionDirectory } from '../../src/redis/sessions';
import { TestCluster } from '../support/cluster';
import {
  connectZk,
  startOwnRedis,
  startOwnRedisCluster,
  startOwnRedisSentinel,
  tempDir,
  useScope,
} from '../support';
import type { TestScope } from '../support';

/**
 * Issue 14, finding 9, against the real servers: Redis with an ACL user and
 * TLS only, ZooKeeper znodes under a digest ACL, a chat node using both, and
 * clients without the credentials refused. Also the modes of the files the
 * node and Redis write.
 */
const scope = useScope('all');
const logger = silentLogger();
const ACL_USER = { name: 'chat', password: 'redis pw with spaces "and" quotes' };
const ZK_AUTH = 'chat-cluster:zk-secret:with-colon';

interface TlsRedis {
  url: string;
  caFile: string;
  dataDir: string;
}

/** A Redis that speaks TLS only and knows one ACL user (the default user is off). */
async function startSecuredRedis(s: TestScope): Promise<TlsRedis> {
  const dir = await tempDir(s, 'redis-tls-files');
  const ca = await createCa('test Redis CA');
  const server = await issueCertificate(ca, { commonName: 'redis', usage: 'node' });
  const files = {
    caFile: path.join(dir, 'ca.crt'),
    certFile: path.join(dir, 'redis.crt'),
    keyFile: path.join(dir, 'redis.key'),
  };
  await fs.writeFile(files.caFile, ca.certPem);
  await fs.writeFile(files.certFile, server.certPem);
  await fs.writeFile(files.keyFile, server.keyPem, { mode: 0o600 });
  const redis = await startOwnRedis(s, { tls: files, aclUser: ACL_USER, persist: true });
  return { url: redis.url, caFile: files.caFile, dataDir: redis.dataDir };
}

/** PING through openRedis; resolves with the reply or the error message. */
async function ping(connection: RedisConnection): Promise<string> {
  const redis = openRedis(connection, logger, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  // The first error event says why (a failed AUTH closes the connection; connect() only says that).
  const errors: string[] = [];
  redis.on('error', (err: Error) => errors.push(err.message));
  try {
    await redis.connect();
    return await redis.ping();
  } catch (err) {
    return `refused: ${errors[0] ?? (err as Error).message}`;
  } finally {
    redis.disconnect();
  }
}

function zkCall<T>(run: (done: (err: unknown, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value))));
}

describe('Redis with an ACL user and TLS', () => {
  let redis: TlsRedis;
  beforeAll(async () => {
    redis = await startSecuredRedis(scope);
  }, 30_000);

  it('answers a client with the user, the password and the CA; refuses one without any of them', async () => {
    const full = {
      url: redis.url,
      username: ACL_USER.name,
      password: ACL_USER.password,
      tlsCaPath: redis.caFile,
    };
    expect(await ping(full)).toBe('PONG');
    expect(await ping({ ...full, password: 'wrong' })).toMatch(/^refused: WRONGPASS/);
    expect(await ping({ ...full, username: undefined, password: undefined })).toMatch(/^refused: NOAUTH/);
    // Without the CA the server's certificate does not verify.
    expect(await ping({ ...full, tlsCaPath: undefined })).toMatch(/^refused: .*(self.signed|certificate)/i);
    // Plaintext to the TLS port gets nowhere.
    expect(
      await ping({ ...full, url: redis.url.replace('rediss://', 'redis://'), tlsCaPath: undefined }),
    ).toMatch(/^refused/);
  });

  it('the export sink writes through the same factory', async () => {
    const sink = new RedisStreamSink({
      url: redis.url,
      open: (url, options, log) =>
        openRedis(
          {
            url: url ?? redis.url,
            username: ACL_USER.name,
            password: ACL_USER.password,
            tlsCaPath: redis.caFile,
          },
          log,
          options,
        ),
      stream: 'export-auth-test',
      maxLen: 0,
      format: 'json',
      logger,
      commandTimeoutMs: 2000,
    });
    scope.defer(() => sink.close(), 'export sink');
    const record = sessionRecord(true, { username: 'alice', alliance: '', loginAt: 1, at: 2 }, 'n1');
    // The sink connects in the background; the first batch may find it still connecting.
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await sink.publishBatch([record]);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });

  describe('a chat node on it, with ZooKeeper digest ACLs', () => {
    let cluster: TestCluster;
    let open: ZkClient;

    beforeAll(async () => {
      cluster = await TestCluster.start({
        name: 'auth',
        nodeIds: ['n1'],
        env: {
          REDIS_URL: redis.url,
          REDIS_USERNAME: ACL_USER.name,
          REDIS_PASSWORD: ACL_USER.password,
          REDIS_TLS_CA: redis.caFile,
          ZK_AUTH,
        },
      });
      scope.defer(() => cluster.stop(), 'auth cluster');
      await cluster.createUser('alice');
      await cluster.waitForLeader();
      open = await connectZk(scope);
    }, 60_000);

    it('serves clients (sessions in the ACL-protected, TLS-only Redis)', async () => {
      const alice = await cluster.login('n1', 'alice');
      expect((await alice.userInfo('alice')).online).toBe(true);
    });

    it("keeps the cluster's znodes from a ZooKeeper client without the credentials", async () => {
      const root = cluster.env.ZK_ROOT as string;
      const registration = `${root}/nodes/n1`;
      const denied = await zkCall<Buffer>((done) => open.getData(registration, done)).catch(
        (err: { code?: number }) => err.code,
      );
      expect(denied).toBe(Exception.NO_AUTH);
      const write = await zkCall<string>((done) => open.create(`${root}/nodes/intruder`, done)).catch(
        (err: { code?: number }) => err.code,
      );
      expect(write).toBe(Exception.NO_AUTH);
      // With the credentials the same client reads it, and sees who may.
      open.addAuthInfo('digest', Buffer.from(ZK_AUTH));
      const data = await zkCall<Buffer>((done) => open.getData(registration, done));
      expect(JSON.parse(data.toString('utf8'))).toMatchObject({ nodeId: 'n1' });
      for (const znode of [root, `${root}/nodes`, `${root}/election`, registration]) {
        const acls = await zkCall<ACL[]>((done) => open.getACL(znode, done));
        // The typings call it perms; node-zookeeper-client's ACL object has `permission`.
        const rights = (a: ACL): number => (a as unknown as { permission: number }).permission;
        expect(acls.map((a) => `${a.id.scheme}:${a.id.id.split(':')[0]}:${rights(a)}`)).toEqual([
          'digest:chat-cluster:31',
        ]);
      }
    });

    it('writes its SQLite files and the Redis dump readable by their owner only', async () => {
      const db = cluster.env.SQLITE_PATH as string;
      const modes = async (files: string[]): Promise<string[]> =>
        Promise.all(files.map(async (f) => ((await fs.stat(f)).mode & 0o777).toString(8)));
      expect(await modes([db, `${db}-wal`, `${db}-shm`])).toEqual(['600', '600', '600']);
      const admin = openRedis(
        { url: redis.url, username: ACL_USER.name, password: ACL_USER.password, tlsCaPath: redis.caFile },
        logger,
      );
      try {
        await admin.save();
      } finally {
        admin.disconnect();
      }
      const written = (await fs.readdir(redis.dataDir)).filter((f) => /\.(rdb|aof)$|appendonly/.test(f));
      expect(written).toContain('dump.rdb');
      const files = await Promise.all(
        written.map(async (f) => {
          const stat = await fs.stat(path.join(redis.dataDir, f));
          return stat.isDirectory() ? '700' : (stat.mode & 0o777).toString(8);
        }),
      );
      expect(files).toEqual(files.map(() => expect.stringMatching(/^(600|700)$/)));
    });
  });
});

describe('Redis Cluster and Sentinel with passwords', () => {
  const PASSWORD = 'cluster pw "quoted"';

  /** SET and GET of keys in different slots through openRedis; resolves with the values or the error. */
  async function roundTrip(connection: RedisConnection): Promise<string> {
    const redis = openRedis(connection, logger, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      // Without it a client that cannot get past the sentinels starts over from the first one forever.
      sentinelRetryStrategy: () => null,
      connectTimeout: 2000,
    });
    try {
      await redis.connect();
      await Promise.all(['a', 'b', 'c'].map((k) => redis.set(`auth-test:${k}`, k)));
      return (await Promise.all(['a', 'b', 'c'].map((k) => redis.get(`auth-test:${k}`)))).join('');
    } catch (err) {
      return `refused: ${(err as Error).message}`;
    } finally {
      redis.disconnect();
    }
  }

  it('a Redis Cluster whose nodes require a password: served with it, refused without it', async () => {
    const cluster = await startOwnRedisCluster(scope, { requirePass: PASSWORD });
    const connection = { url: '', clusterNodes: cluster.seedNodes, password: PASSWORD };
    expect(await roundTrip(connection)).toBe('abc');
    expect(await roundTrip({ ...connection, password: 'wrong' })).toMatch(/^refused/);
    expect(await roundTrip({ ...connection, password: undefined })).toMatch(/^refused/);
  }, 60_000);

  it('sentinels and a master that each require a password: served with both, refused without either', async () => {
    const set = await startOwnRedisSentinel(scope, { requirePass: PASSWORD, sentinelPass: 'sentinel pw' });
    const connection = {
      url: '',
      sentinels: set.sentinelNodes,
      sentinelMaster: set.masterName,
      password: PASSWORD,
      sentinelPassword: 'sentinel pw',
    };
    expect(await roundTrip(connection)).toBe('abc');
    expect(await roundTrip({ ...connection, sentinelPassword: undefined })).toMatch(/^refused: .*NOAUTH/);
    expect(await roundTrip({ ...connection, password: undefined })).toMatch(/^refused/);
  }, 60_000);
});

describe('an ACL user confined to one chat cluster’s keys (docs/security.md)', () => {
  it('may do everything the Redis adapters do under ~<prefix>* ~{<prefix>*, and nothing under another prefix', async () => {
    const prefix = 'chat:';
    const user = { name: 'chat', password: 'confined pw', keys: [`~${prefix}*`, `~{${prefix}*`] };
    const own = await startOwnRedis(scope, { aclUser: user });
    const redis = openRedis({ url: own.url, username: user.name, password: user.password }, logger, {
      maxRetriesPerRequest: 0,
    });
    scope.defer(() => redis.disconnect(), 'confined redis client');
    const keys = new RedisKeys(prefix);
    const sessions = new RedisSessionDirectory(redis, keys);
    await sessions.claim('amy', { nodeId: 'n1', loginAt: 1, sid: 's1' });
    expect(await sessions.release('amy', 's1', 2)).toBe(true);
    expect(await sessions.lastSeen('amy')).toBe(2);
    const attempts = new RedisLoginBackoff(redis, keys, {
      freeFailures: 1,
      backoffBaseMs: 1000,
      backoffMaxS: 10,
      maxFailuresPerUser: 100,
      maxFailuresPerAddress: 100,
      failureWindowS: 60,
    });
    await attempts.recordFailure('amy', '10.0.0.1');
    await attempts.recordSuccess('amy', '10.0.0.1');
    const activity = new RedisRecentActivity(redis, keys);
    const message = {
      id: 'm1',
      conversation: 'room:lobby',
      seq: 1,
      kind: 'room' as const,
      from: 'amy',
      to: 'lobby',
      text: 'hi',
      ts: 1,
    };
    await activity.record(message, ['hi']);
    await activity.flushWords();
    expect(await activity.top(1)).toEqual([{ word: 'hi', count: 1 }]);
    await new RedisResumeTokens(redis, keys).issue('amy', 's1', 60);
    await expect(redis.set('other:key', '1')).rejects.toThrow(/NOPERM/);
  });
});
