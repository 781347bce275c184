import zookeeper from 'node-zookeeper-client';
import type { Client as ZkClient } from 'node-zookeeper-client';
import net from 'node:net';
import {
  DevServiceError,
  PortInUseError,
  redisPing,
  startRedis,
  zkFourLetterWord,
} from '../../src/devservices';
import {
  connectRedis,
  connectZk,
  startOwnRedis,
  startOwnZooKeeper,
  uniquePrefix,
  uniqueZkRoot,
  tempDir,
  useScope,
  waitFor,
} from '../support';

function exists(client: ZkClient, path: string): Promise<boolean> {
  return new Promise((resolve, reject) =>
    client.exists(path, (error, stat) =>
      error ? reject(error) : resolve(stat !== null && stat !== undefined),
    ),
  );
}

function create(client: ZkClient, path: string, mode: number): Promise<string> {
  return new Promise((resolve, reject) =>
    client.create(path, mode, (error, created) => (error ? reject(error) : resolve(created))),
  );
}

function mkdirp(client: ZkClient, path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    client.mkdirp(path, (error) => (error ? reject(error) : resolve())),
  );
}

describe('test harness services', () => {
  const scope = useScope();

  it('gives a shared Redis that stores and returns a value', async () => {
    const redis = await connectRedis(scope);
    const key = `${uniquePrefix('harness roundtrip')}greeting`;
    await redis.set(key, 'hello', 'EX', 60);
    expect(await redis.get(key)).toBe('hello');
  });

  it('gives a shared ZooKeeper whose ephemeral znodes vanish when their session closes', async () => {
    const root = uniqueZkRoot('harness ephemeral');
    const owner = await connectZk(scope);
    const observer = await connectZk(scope);
    await mkdirp(owner, root);
    const node = await create(owner, `${root}/member`, zookeeper.CreateMode.EPHEMERAL);

    expect(await exists(observer, node)).toBe(true);
    owner.close();
    await waitFor(async () => !(await exists(observer, node)), {
      what: `ephemeral ${node} to disappear after its session closed`,
    });
  });

  it('restarts a stopped Redis on the same port', async () => {
    const redis = await startOwnRedis(scope);
    const { port, url } = redis;
    const firstPid = redis.pid;
    await redis.stop();
    expect(redis.running).toBe(false);
    await expect(redisPing(redis.host, port)).rejects.toThrow();
    await redis.stop(); // idempotent

    await redis.restart();
    expect(redis.port).toBe(port);
    expect(redis.url).toBe(url);
    expect(redis.pid).not.toBe(firstPid);
    const client = await connectRedis(scope, { url });
    expect(await client.ping()).toBe('PONG');
  });

  it('restarts a stopped ZooKeeper on the same port and keeps its data', async () => {
    const zk = await startOwnZooKeeper(scope);
    const { port, hosts } = zk;
    const root = uniqueZkRoot('harness restart');
    const before = await connectZk(scope, { hosts });
    await mkdirp(before, root);

    await zk.stop();
    expect(zk.running).toBe(false);
    await zk.restart();
    expect(zk.port).toBe(port);
    expect(await zkFourLetterWord(zk.host, port, 'ruok')).toBe('imok');
    const after = await connectZk(scope, { hosts });
    expect(await exists(after, root)).toBe(true);
  });

  it('keeps a ZooKeeper session and its ephemeral znode across a quick restart', async () => {
    const zk = await startOwnZooKeeper(scope);
    const root = uniqueZkRoot('harness session');
    const owner = await connectZk(scope, { hosts: zk.hosts, sessionTimeoutMs: 20_000 });
    await mkdirp(owner, root);
    const node = await create(owner, `${root}/member`, zookeeper.CreateMode.EPHEMERAL);
    const sessionId = owner.getSessionId().toString('hex');

    await zk.restart();
    await waitFor(() => owner.getState() === zookeeper.State.SYNC_CONNECTED, {
      what: 'the first client to reconnect after the restart',
      timeoutMs: 20_000,
    });
    expect(owner.getSessionId().toString('hex')).toBe(sessionId);
    const observer = await connectZk(scope, { hosts: zk.hosts });
    expect(await exists(observer, node)).toBe(true);
  });

  it('brings a killed Redis back, and answers again after a pause', async () => {
    const redis = await startOwnRedis(scope);
    redis.pause();
    await expect(redisPing(redis.host, redis.port, 300)).rejects.toThrow(/no answer/);
    redis.resume();
    expect(await redisPing(redis.host, redis.port)).toBe(true);

    await redis.kill();
    expect(redis.running).toBe(false);
    await redis.restart();
    expect(await redisPing(redis.host, redis.port)).toBe(true);

    // A paused server still stops: stop() wakes it up to see SIGTERM.
    redis.pause();
    await redis.stop();
    expect(redis.running).toBe(false);
    expect(redis.pid).toBeUndefined();
  });

  it('reports a taken port, and a missing executable with a hint', async () => {
    // Drops connections at once: the launcher's readiness probe connects to whoever holds the port.
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    scope.defer(() => new Promise((resolve) => blocker.close(resolve)), 'close port blocker');
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');

    const dataDir = await tempDir(scope, 'redis-errors');
    await expect(startRedis({ dataDir, port: address.port })).rejects.toBeInstanceOf(PortInUseError);
    await expect(startRedis({ dataDir, command: 'redis-server-not-installed' })).rejects.toThrow(
      DevServiceError,
    );
    await expect(startRedis({ dataDir, command: 'redis-server-not-installed' })).rejects.toThrow(
      /redis-server-not-installed' was not found: run scripts\/install-services.sh/,
    );
  });
});
