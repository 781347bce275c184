/**
 * One project per engine (test/support/engines.ts): `single` runs every suite
 * on one Redis and one ZooKeeper; the others run the suites that touch that
 * engine again on a Redis Cluster, a Sentinel-managed Redis and a 3-server
 * ZooKeeper ensemble. `npx jest --selectProjects single <files>` runs just
 * the first. Global setup starts each engine once, for the projects whose
 * tests are selected (or uses REDIS_URL / ZK_HOSTS / CHAT_TEST_* when given).
 */
const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/** A project on another engine: its own setup module (jest runs each setup module once). */
const engine = (name, testMatch) => ({
  ...shared,
  displayName: name,
  testMatch,
  globalSetup: `<rootDir>/test/support/setup-${name}.ts`,
  globals: { CHAT_TEST_ENGINE: name },
});

const suites = (paths) => paths.map((p) => `**/test/${p}.test.ts`);

/** The suites whose nodes, gateway or export read and write Redis. */
const redisSuites = suites([
  'contract/redis',
  'integration/sessions',
  'integration/gateway',
  'integration/export-redis',
  'integration/cluster-dm',
  'integration/rooms',
  'integration/delivery',
]);

/** The suites of election, membership and leader failover. */
const zkSuites = suites([
  'integration/coordination',
  'integration/cluster-failover',
  'integration/rooms-failover',
]);

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'single',
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    engine('redis-cluster', redisSuites),
    engine('redis-sentinel', redisSuites),
    engine('zk-ensemble', zkSuites),
  ],
  // Integration tests start several nodes and real servers: two workers fit a 2-core machine.
  maxWorkers: 2,
  // A run-wide option: inside a project it would be ignored.
  testTimeout: 60000,
};
