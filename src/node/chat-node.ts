import { Redis } from 'ioredis';
import { DirectChat } from '../chat/direct';
import { DirtyWordFilter, loadWordList } from '../chat/filter';
import { GroupService } from '../chat/groups';
import { HistoryService } from '../chat/history';
import { extractWords } from '../chat/hotwords';
import { LocalSessions } from '../chat/local-sessions';
import { Presence } from '../chat/presence';
import { MessageRecorder } from '../chat/recorder';
import { restoreSessions } from '../chat/session-restore';
import { SessionService } from '../chat/sessions';
import { UserInfoService } from '../chat/user-info';
import { ClusterCoordinator } from '../cluster/coordination/coordinator';
import { LeaderDuties } from '../cluster/coordination/leader-duties';
import type { LeaderView } from '../cluster/coordination/types';
import { LeaderLink } from '../cluster/rpc/leader-link';
import { LinkHub } from '../cluster/rpc/link-hub';
import { RpcServer } from '../cluster/rpc/server';
import { loadTlsMaterial } from '../cluster/tls/credentials';
import type { NodeConfig } from '../config/node';
import type { Logger } from '../core/logger';
import { RedisKeys } from '../core/names';
import type { SessionDirectory } from '../chat/ports';
import { RedisRecentActivity } from '../redis/activity';
import { RedisSessionDirectory } from '../redis/sessions';
import { RedisLoginAttempts, RedisResumeTokens, RedisServerRegistry } from '../redis/tokens';
import { openStore } from '../store';
import type { Store } from '../store/types';
import { MAX_PAGE_LIMIT } from '../store';
import { createWsEdge } from '../ws';
import type { WsServer } from '../ws';
import { adminApi } from './admin';
import { startExtensions } from './extensions';
import { commandMetrics, createRegistry, serveMetrics } from './metrics';
import { ClusterBridge } from './cluster-bridge';
import { commandHandlers } from './commands';
import { HotWordsReset, ServerListWriter } from './leader-tasks';

/** What a running node exposes to its owner (the bin script, tests, benchmarks). */
export interface NodeHandle {
  nodeId: string;
  wsUrl: string;
  rpcAddress: string;
  coordinator: ClusterCoordinator;
}

/**
 * One chat node: the client WebSocket edge, the internal gRPC port, its place
 * in the ZooKeeper cluster and the chat services between them. Everything it
 * uses is built here from the config; nothing is global, so several nodes can
 * run in one process.
 */
export class ChatNode {
  private readonly log: Logger;
  private readonly startedAt = Date.now();
  private readonly closers: Array<{ name: string; close: () => Promise<unknown> | unknown }> = [];
  private stopping: Promise<void> | undefined;
  private handle: NodeHandle | undefined;

  constructor(
    private readonly config: NodeConfig,
    logger: Logger,
  ) {
    this.log = logger.child({ nodeId: config.nodeId });
  }

  get info(): NodeHandle {
    if (!this.handle) throw new Error('ChatNode has not started');
    return this.handle;
  }

  async start(): Promise<NodeHandle> {
    const { config, log } = this;
    const tls = loadTlsMaterial(config.tls);
    const words = await loadWordList(config.chat.dirtyWordsPath);
    const filter = DirtyWordFilter.fromWords(words);

    const store: Store = await openStore({
      mongoUrl: config.store.mongoUrl,
      sqlitePath: config.store.sqlitePath,
      scrypt: config.scrypt,
      maxTextLength: config.ws.maxTextLength,
      logger: log.child({ component: 'store' }),
    });
    this.closers.push({ name: 'store', close: () => store.close() });

    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 3, lazyConnect: true });
    redis.on('error', (err: Error) =>
      log.warn({ event: 'redis_error', err: err.message }, 'Redis connection problem'),
    );
    await redis.connect();
    this.closers.push({ name: 'redis', close: () => redis.quit() });

    const keys = new RedisKeys(config.redis.prefix);
    const directory = new RedisSessionDirectory(redis, keys);
    const activity = new RedisRecentActivity(redis, keys);
    // Runs before Redis closes (closers run in reverse): the last word counts are not lost.
    this.closers.push({ name: 'hot-words-flush', close: () => activity.flushWords() });
    const registry = new RedisServerRegistry(redis, keys);

    const hub = new LinkHub({ nodeId: config.nodeId, logger: log.child({ component: 'link-hub' }) });
    const link = new LeaderLink({
      nodeId: config.nodeId,
      tls,
      logger: log.child({ component: 'leader-link' }),
    });
    const rpc = new RpcServer({ host: config.rpc.host, port: config.rpc.port, tls, logger: log, links: hub });
    const rpcBound = await rpc.start();
    const rpcPort = rpcBound.slice(rpcBound.lastIndexOf(':') + 1);
    const rpcAddress = `${config.rpc.advertiseHost ?? config.rpc.host}:${rpcPort}`;

    const metrics = createRegistry(config.nodeId);
    const extensions = await startExtensions(config, log, metrics);
    this.closers.push({ name: 'plugins', close: () => extensions.close() });
    const { events, hooks } = extensions;

    const local = new LocalSessions();
    if (hooks.wants('messageDelivered')) {
      local.onDelivered = (message, to) =>
        events({ type: 'messageDelivered', message, to, nodeId: config.nodeId });
    }
    const presence = new Presence();
    // The WebSocket URL is known once the edge listens, which needs the bridge,
    // which needs the coordinator: the descriptor is completed before start().
    const self = { nodeId: config.nodeId, wsUrl: '', rpcAddress, startedAt: this.startedAt };
    const coordinator = new ClusterCoordinator({
      zkHosts: config.zk.hosts,
      root: config.zk.root,
      sessionTimeoutMs: config.zk.sessionTimeoutMs,
      self,
      logger: log.child({ component: 'coordinator' }),
    });
    const bridge = new ClusterBridge({
      nodeId: config.nodeId,
      coordinator,
      hub,
      link,
      local,
      presence,
      logger: log,
    });
    const recorder = new MessageRecorder({
      store: store.messages,
      activity,
      filter,
      words: (t) => extractWords(t),
      events,
    });
    const sessions = new SessionService({
      users: store.users,
      messages: store.messages,
      attempts: new RedisLoginAttempts(redis, keys, {
        maxFailuresPerUser: config.login.maxFailuresPerUser,
        maxFailuresPerAddress: config.login.maxFailuresPerAddress,
        windowSeconds: config.login.failureWindowS,
      }),
      tokens: new RedisResumeTokens(redis, keys),
      directory,
      local,
      cluster: bridge,
      resumeTokenTtlS: config.login.resumeTokenTtlS,
      logger: log.child({ component: 'sessions' }),
      events,
    });
    const groups = new GroupService({
      // A new leader waits (bounded) for the followers' session snapshots before room fan-out.
      presenceReady: () => bridge.followersReported(Math.min(3000, config.zk.sessionTimeoutMs)),
      rooms: store.rooms,
      recorder,
      activity,
      presence,
      local,
      cluster: bridge,
      logger: log.child({ component: 'rooms' }),
      events,
    });
    bridge.bind({ sessions, groups });
    const direct = new DirectChat({ users: store.users, directory, local, cluster: bridge, recorder });

    const ws: WsServer = createWsEdge({
      ws: config.ws,
      handlers: commandHandlers({
        hooks,
        sessions,
        direct,
        history: new HistoryService({ messages: store.messages, rooms: store.rooms, activity }),
        userInfo: new UserInfoService({ users: store.users, direct }),
        hotWords: activity,
        cluster: bridge,
        defaultPopular: 10,
        defaultHistory: 50,
      }),
      maxPopularLimit: config.chat.popularMax,
      maxHistoryLimit: MAX_PAGE_LIMIT,
      extraInterceptors: [commandMetrics(metrics)],
      logger: log,
    });
    if (config.metrics.port !== undefined) {
      const endpoint = await serveMetrics(metrics, config.metrics.host, config.metrics.port, log);
      this.closers.push({ name: 'metrics', close: () => endpoint.close() });
    }
    const bound = await ws.listen(config.ws.host, config.ws.port);
    const wsUrl = config.ws.publicUrl ?? bound.url;
    self.wsUrl = wsUrl;
    const republishLoad = this.publishLoad(ws, registry);

    rpc.setAdminApi(
      adminApi({
        nodeId: config.nodeId,
        startedAt: this.startedAt,
        coordinator,
        local,
        directory,
        groups,
        connections: () => ws.connectionCount,
      }),
    );

    const serverList = new ServerListWriter({
      registry,
      members: () => coordinator.members(),
      logger: log.child({ component: 'server-list' }),
    });
    // Redis may come back empty (restarted without persistence): put back what this node keeps there,
    // or its users look offline and the gateway has no server list until the next membership change.
    redis.on('ready', () => {
      log.info({ event: 'redis_reconnected' }, "Redis connection back; restoring this node's entries");
      republishLoad();
      serverList.changed();
      restoreSessions({
        directory,
        local,
        nodeId: config.nodeId,
        logger: log.child({ component: 'sessions' }),
        kickLocal: (username, sid, reason) => sessions.kickLocal(username, sid, reason),
      }).catch((err: unknown) =>
        log.warn({ event: 'sessions_restore_failed', err }, 'could not restore the session directory'),
      );
    });
    const duties = new LeaderDuties(log.child({ component: 'duties' }));
    duties.register({
      name: 'links',
      start: (epoch) => {
        link.disconnect();
        hub.epoch = epoch;
        bridge.onLeadershipStart();
      },
      stop: () => {
        hub.epoch = 0;
        hub.disconnectAll();
      },
    });
    duties.register(groups);
    duties.register(serverList);
    duties.register(
      new HotWordsReset({
        hotWords: activity,
        intervalMs: config.chat.hotWordsResetMs,
        logger: log.child({ component: 'hot-words' }),
      }),
    );

    const followLeader = (view: LeaderView | null): void => {
      if (!view || view.self) return;
      link.observeEpoch(view.epoch);
      const node = view.node ?? coordinator.members().find((m) => m.nodeId === view.nodeId);
      if (!node) return; // Its registration arrives with the next 'members' event.
      const current = link.target;
      if (current && current.nodeId === node.nodeId && current.epoch === view.epoch) return;
      link.connect({ nodeId: node.nodeId, rpcAddress: node.rpcAddress, epoch: view.epoch });
    };
    coordinator.on('leader', followLeader);
    coordinator.on('members', (members) => {
      bridge.onMembers(members);
      serverList.changed();
      followLeader(coordinator.leader());
    });
    const unfollow = duties.follow(coordinator);

    // Shutdown runs these in reverse: clients first, then the cluster, then storage.
    this.closers.push({ name: 'rpc', close: () => rpc.stop() });
    this.closers.push({
      name: 'links',
      close: () => Promise.all([link.close(), Promise.resolve(hub.close())]),
    });
    this.closers.push({ name: 'bridge', close: () => bridge.close() });
    this.closers.push({
      name: 'duties',
      close: async () => {
        unfollow();
        await duties.stopAll();
      },
    });
    this.closers.push({ name: 'coordinator', close: () => coordinator.stop() });
    this.closers.push({ name: 'load', close: () => registry.removeLoad(config.nodeId) });
    this.closers.push({ name: 'ws', close: () => ws.close() });

    await coordinator.start();
    await this.releaseStaleSessions(directory, local);
    this.handle = { nodeId: config.nodeId, wsUrl, rpcAddress, coordinator };
    log.info({ event: 'node_started', wsUrl, rpcAddress }, 'chat node started');
    return this.handle;
  }

  /** Clean shutdown: close clients, leave the cluster, close links and stores. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    for (const closer of [...this.closers].reverse()) {
      try {
        await closer.close();
      } catch (err) {
        this.log.warn({ event: 'shutdown_step_failed', step: closer.name, err }, 'shutdown step failed');
      }
    }
    this.log.info({ event: 'node_stopped' }, 'chat node stopped');
  }

  /**
   * Global sessions under this node id that are not ours come from an earlier
   * process with the same id (killed, so it could not clean up). Now that this
   * id is live again they would count as online, so they go. It runs after
   * registration: a duplicate live process with this id would have made start
   * fail before touching its sessions. Release compares the sid, so a login
   * that lands meanwhile is kept.
   */
  private async releaseStaleSessions(directory: SessionDirectory, local: LocalSessions): Promise<void> {
    const nodeId = this.config.nodeId;
    let released = 0;
    for (const [username, session] of await directory.all()) {
      if (session.nodeId !== nodeId || local.get(username)?.sid === session.sid) continue;
      // When the crashed process's users were last seen is unknown; their login time errs towards replaying.
      if (await directory.release(username, session.sid, session.loginAt)) released++;
    }
    if (released > 0)
      this.log.info(
        { event: 'stale_sessions_released', count: released },
        'released sessions left by an earlier process with this node id',
      );
  }

  /** Publishes the connection count now and on changes; returns a function that publishes it again. */
  private publishLoad(ws: WsServer, registry: RedisServerRegistry): () => void {
    let timer: NodeJS.Timeout | undefined;
    const publish = (): void => {
      timer = undefined;
      registry.publishLoad(this.config.nodeId, ws.connectionCount).catch((err: unknown) => {
        this.log.warn({ event: 'load_publish_failed', err }, 'could not publish the connection count');
      });
    };
    publish();
    ws.onCount(() => {
      // At most a few writes a second, however fast clients come and go.
      timer ??= setTimeout(publish, 250);
    });
    return publish;
  }
}
