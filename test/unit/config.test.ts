import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadDevClusterConfig, readDevClusterConfig } from '../../src/config/dev-cluster';
import { ConfigError } from '../../src/config/env-reader';
import { loadGatewayConfig, readGatewayConfig } from '../../src/config/gateway';
import { loadNodeConfig, readNodeConfig } from '../../src/config/node';

describe('node configuration', () => {
  it('has defaults for a local machine', () => {
    const config = loadNodeConfig({});
    expect(config.nodeId).toBe('node1');
    expect(config.rpc.host).toBe('127.0.0.1');
    expect(config.tls.certPath).toBe(path.join('certs', 'node1.crt'));
    expect(config.scrypt).toEqual({ N: 131072, r: 8, p: 1 });
    expect(config.store.mongoUrl).toBeUndefined();
  });

  it('reads values from the environment', () => {
    const config = loadNodeConfig({
      NODE_ID: 'n7',
      WS_PORT: '9001',
      ZK_HOSTS: 'a:1,b:2',
      MONGO_URL: 'mongodb://x',
      LOG_PRETTY: 'false',
    });
    expect(config.nodeId).toBe('n7');
    expect(config.ws.port).toBe(9001);
    expect(config.zk.hosts).toBe('a:1,b:2');
    expect(config.store.mongoUrl).toBe('mongodb://x');
    expect(config.log.pretty).toBe(false);
    expect(config.tls.keyPath).toBe(path.join('certs', 'n7.key'));
  });

  it('names every invalid variable at once', () => {
    let caught: unknown;
    try {
      loadNodeConfig({
        WS_PORT: '70000',
        NODE_ID: 'bad id!',
        ZK_SESSION_TIMEOUT_MS: 'soon',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^WS_PORT="70000": must be at most 65535/m);
    expect(problems).toMatch(/^NODE_ID="bad id!": must match/m);
    expect(problems).toMatch(/^ZK_SESSION_TIMEOUT_MS="soon": must be a number/m);
    expect(problems).toMatch(/^LOG_LEVEL="loud": must be one of/m);
  });
});

describe('gateway configuration', () => {
  it('defaults to port 8080 and least connections', () => {
    expect(loadGatewayConfig({})).toMatchObject({ port: 8080, strategy: 'least-connections', cacheMs: 1000 });
  });

  it('refuses a cache longer than one second', () => {
    expect(() => loadGatewayConfig({ GATEWAY_CACHE_MS: '5000' })).toThrow(
      /GATEWAY_CACHE_MS="5000": must be at most 1000/,
    );
  });
});

describe('dev cluster config (npm start)', () => {
  it('starts its own Redis and ZooKeeper unless the variables name existing ones', () => {
    expect(loadDevClusterConfig({ REDIS_URL: '', ZK_HOSTS: undefined }, { dataDir: '/repo/data' })).toEqual({
      redisUrl: undefined,
      redisClusterNodes: undefined,
      redisSentinels: undefined,
      zkHosts: undefined,
      mongoUrl: undefined,
      sqlitePath: path.join('/repo/data', 'chat.db'),
      gatewayPort: 8080,
    });
    expect(
      loadDevClusterConfig(
        {
          REDIS_URL: 'redis://r:1',
          ZK_HOSTS: 'zk1:2181',
          MONGO_URL: 'mongodb://m/chat',
          GATEWAY_PORT: '8181',
        },
        { dataDir: '/repo/data' },
      ),
    ).toMatchObject({
      redisUrl: 'redis://r:1',
      zkHosts: 'zk1:2181',
      mongoUrl: 'mongodb://m/chat',
      gatewayPort: 8181,
    });
  });

  it('refuses a bad gateway port before starting anything', () => {
    expect(() => loadDevClusterConfig({ GATEWAY_PORT: 'http' }, { dataDir: 'data' })).toThrow(
      /GATEWAY_PORT="http": must be a number/,
    );
  });
});

describe('README', () => {
  it('documents every configuration variable', () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const names = [
      ...readNodeConfig({}).variables,
      ...readGatewayConfig({}).variables,
      ...readDevClusterConfig({}, { dataDir: 'data' }).variables,
    ].map((v) => v.name);
    const missing = names.filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
