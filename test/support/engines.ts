/**
 * The engines the suites run against. jest.config.js has one project per
 * engine: `single` runs every suite on one Redis and one ZooKeeper server;
 * `redis-cluster` and `redis-sentinel` run the Redis-touching suites on a
 * Redis Cluster (three masters, a replica each) and on a Sentinel-managed
 * pair; `zk-ensemble` runs the coordination suites on a three-server
 * ZooKeeper ensemble. A project names its engine in `globals.CHAT_TEST_ENGINE`,
 * which global setup and the test workers read.
 */
export type TestEngine = 'single' | 'redis-cluster' | 'redis-sentinel' | 'zk-ensemble';

/** A server the harness starts once per run and shares between the projects that need it. */
export type SharedService = 'redis' | 'zookeeper' | 'redis-cluster' | 'redis-sentinel' | 'zk-ensemble';

const ENGINES: readonly TestEngine[] = ['single', 'redis-cluster', 'redis-sentinel', 'zk-ensemble'];

export function engineOf(globals: Record<string, unknown> | undefined): TestEngine {
  const engine = globals?.CHAT_TEST_ENGINE;
  return ENGINES.find((e) => e === engine) ?? 'single';
}

/** The engine of the project this test file runs in. */
export function testEngine(): TestEngine {
  return engineOf(globalThis as unknown as Record<string, unknown>);
}

/** What an engine's suites need: its own Redis or ZooKeeper, and the single server of the other. */
export function servicesOf(engine: TestEngine): SharedService[] {
  switch (engine) {
    case 'redis-cluster':
      return ['redis-cluster', 'zookeeper'];
    case 'redis-sentinel':
      return ['redis-sentinel', 'zookeeper'];
    case 'zk-ensemble':
      return ['redis', 'zk-ensemble'];
    default:
      return ['redis', 'zookeeper'];
  }
}
