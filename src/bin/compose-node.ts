import { ClusterCoordinator } from '../cluster/coordination/coordinator';
import { systemClock } from '../cluster/coordination/types';
import { zkClientFactory } from '../cluster/coordination/zk-acl';
import type { NodeDescriptor } from '../cluster/coordination/types';
import { AdminPeers } from '../cluster/rpc/admin-peers';
import { GrpcTransport } from '../cluster/rpc/grpc-transport';
import { RpcServer } from '../cluster/rpc/server';
import { loadTlsMaterial } from '../cluster/tls/credentials';
import type { NodeConfig } from '../config/node';
import type { Logger } from '../core/logger';
import { ConsoleServer } from '../console/server';
import { RedisKeys } from '../core/names';
import { ChatNode } from '../node/chat-node';
import { linkTrafficMetrics } from '../node/cluster-metrics';
import { createRegistry, serveMetrics, storeCommitLatency } from '../node/metrics';
import { RedisRecentActivity } from '../redis/activity';
import { RedisSessionDirectory } from '../redis/sessions';
import { closeRedis, onRedisBack, openRedis } from '../redis/connect';
import { RedisLoginBackoff } from '../redis/login-backoff';
import { RedisResumeTokens } from '../redis/resume-tokens';
import { RedisServerRegistry } from '../redis/server-registry';
import { openStore } from '../store';
import { connectionMetrics, edgeMetrics, WsServer } from '../ws';
import { startExtensions } from './extensions';

/** A chat node on its real drivers, and how to stop all of it. */
export interface ComposedNode {
  node: ChatNode;
  /** The internal gRPC address peers dial. */
  rpcAddress: string;
  /** Stops the node, then closes every driver it was given, in order. Idempotent. */
  stop(): Promise<void>;
  /** Resolves once an operator's DrainNode has stopped all of it (the process should then exit). */
  drained: Promise<void>;
}

/**
 * The composition root of a chat node process: opens the store, Redis, the
 * internal gRPC port with its links, ZooKeeper, the WebSocket edge and the
 * plugins, and hands them to a ChatNode as ports. Whatever was opened is
 * closed again if a later step fails.
 */
export async function composeNode(config: NodeConfig, logger: Logger): Promise<ComposedNode> {
  const log = logger.child({ nodeId: config.nodeId });
  const closers: Array<{ name: string; close: () => Promise<unknown> | unknown }> = [];
  const closeAll = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) {
      try {
        await closer.close();
      } catch (err) {
        log.warn({ event: 'shutdown_step_failed', step: closer.name, err }, 'shutdown step failed');
      }
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= closeAll());
  let markDrained: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => (markDrained = resolve));
  try {
    const tls = loadTlsMaterial(config.tls);
    const metrics = createRegistry(config.nodeId);
    const store = await openStore({
      mongoUrl: config.store.mongoUrl,
      sqlitePath: config.store.sqlitePath,
      commitWindowMs: config.store.commitWindowMs,
      scrypt: config.scrypt,
      maxTextLength: config.ws.maxTextLength,
      logger: log.child({ component: 'store' }),
      onCommit: storeCommitLatency(metrics),
    });
    closers.push({ name: 'store', close: () => store.close() });

    // Commands of one event-loop turn leave in one write (auto-pipelining): one round trip, not one each.
    const redis = openRedis(config.redis, log, {
      maxRetriesPerRequest: 3,
      lazyConnect: true,
      enableAutoPipelining: true,
    });
    await redis.connect();
    closers.push({ name: 'redis', close: () => closeRedis(redis) });
    const keys = new RedisKeys(config.redis.prefix);

    // Set once the coordinator exists: only live members may link.
    let isMember: (nodeId: string) => boolean = () => false;
    const transport = new GrpcTransport({
      nodeId: config.nodeId,
      tls,
      logger: log,
      mayLink: (nodeId) => isMember(nodeId),
    });
    const rpc = new RpcServer({
      host: config.rpc.host,
      port: config.rpc.port,
      tls,
      logger: log,
      links: transport.hub,
    });
    const rpcBound = await rpc.start();
    closers.push({ name: 'rpc', close: () => rpc.stop() });
    closers.push({ name: 'links', close: () => transport.close() });
    linkTrafficMetrics(metrics, () => transport.stats());
    const rpcAddress = `${config.rpc.advertiseHost ?? config.rpc.host}:${rpcBound.slice(rpcBound.lastIndexOf(':') + 1)}`;

    const extensions = await startExtensions(config, log, metrics);
    closers.push({ name: 'plugins', close: () => extensions.close() });

    // wsUrl is filled in by the node once its edge listens, before it registers.
    const self: NodeDescriptor = { nodeId: config.nodeId, wsUrl: '', rpcAddress, startedAt: Date.now() };
    const coordinator = new ClusterCoordinator({
      zkHosts: config.zk.hosts,
      root: config.zk.root,
      sessionTimeoutMs: config.zk.sessionTimeoutMs,
      clientFactory: zkClientFactory(config.zk.auth),
      self,
      logger: log.child({ component: 'coordinator' }),
    });
    isMember = (nodeId) => coordinator.members().some((m) => m.nodeId === nodeId);
    const peerAdmin = new AdminPeers(tls);
    coordinator.on('members', (members) => peerAdmin.retain(members));
    closers.push({ name: 'admin-peers', close: () => peerAdmin.close() });

    const node = new ChatNode(
      config,
      {
        store,
        directory: new RedisSessionDirectory(redis, keys),
        activity: new RedisRecentActivity(redis, keys, {
          listFlushMs: config.chat.recentFlushMs,
          logger: log,
        }),
        tokens: new RedisResumeTokens(redis, keys),
        attempts: new RedisLoginBackoff(redis, keys, config.login),
        registry: new RedisServerRegistry(redis, keys),
        self,
        coordinator,
        transport,
        edge: (sink) => {
          const server = new WsServer({
            host: config.ws.host,
            port: config.ws.port,
            limits: config.ws,
            sink,
            logger: log.child({ component: 'ws' }),
            metrics: edgeMetrics(metrics),
            maxPendingCommands: config.ws.maxPendingCommands,
            maxInFlightCommands: config.ws.maxInFlightCommands,
          });
          server.onConnection(connectionMetrics(metrics));
          return server;
        },
        hooks: extensions.hooks,
        events: extensions.events,
        metrics,
        clock: systemClock,
        peerAdmin,
        drain: () => stop().then(markDrained),
      },
      logger,
    );
    closers.push({ name: 'node', close: () => node.stop() });
    if (config.metrics.port !== undefined) {
      const endpoint = await serveMetrics(metrics, config.metrics.host, config.metrics.port, log);
      closers.push({ name: 'metrics', close: () => endpoint.close() });
    }
    await node.start();
    rpc.setAdminApi(node.admin);
    if (config.admin.port !== undefined) {
      const adminConsole = new ConsoleServer({
        host: config.admin.host,
        port: config.admin.port,
        token: config.admin.token,
        tls: config.admin.tls ? tls : undefined,
        admin: () => node.admin,
        logger: log,
      });
      await adminConsole.listen();
      closers.push({ name: 'console', close: () => adminConsole.close() });
    }
    // Redis may come back empty after an outage (or a failover that missed the last writes):
    // the node puts its entries back.
    onRedisBack(redis, () => void node.sharedStateRecovered());

    return { node, rpcAddress, stop, drained };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
