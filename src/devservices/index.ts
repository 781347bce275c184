/**
 * Launchers for real server processes, used by the test harness and by the
 * dev cluster (`npm start`). Each server runs on loopback, on a free port, with
 * its own data dir, and dies with the process that started it.
 */
export { DevServiceError, PortInUseError } from './errors';
export { findFreePort } from './free-port';
export { startRedis, RedisProcess } from './redis';
export type { RedisOptions } from './redis';
export { startRedisCluster, RedisClusterProcess, parseClusterNodes } from './redis-cluster';
export type { RedisClusterOptions, ClusterNodeLine } from './redis-cluster';
export { startRedisSentinel, RedisSentinelSet } from './redis-sentinel';
export type { RedisSentinelOptions } from './redis-sentinel';
export { startZooKeeper, ZooKeeperProcess } from './zookeeper';
export type { ZooKeeperOptions, QuorumServer } from './zookeeper';
export { startZooKeeperEnsemble, ZooKeeperEnsemble } from './zookeeper-ensemble';
export type { ZooKeeperEnsembleOptions, ZooKeeperMode } from './zookeeper-ensemble';
export { findZooKeeper, findJava } from './zookeeper-classpath';
export type { ZooKeeperInstall } from './zookeeper-classpath';
export { ServiceProcess } from './service-process';
export type { ServiceSpec, ServiceProcessOptions } from './service-process';
export { redisPing, zkFourLetterWord, zkSessionCheck } from './probes';
export { startRabbitMq, RabbitMqProcess, findRabbitMqServer, RABBITMQ_INSTALL_HINT } from './rabbitmq';
export type { RabbitMqOptions } from './rabbitmq';
