import type { LeaderReply } from '../../gen/chat/v1/cluster';
import { DirectChat } from '../chat/direct';
import { DirtyWordFilter, loadWordList } from '../chat/filter';
import { extractWords } from '../chat/hotwords';
import { LocalSessions } from '../chat/local-sessions';
import { Presence } from '../chat/presence';
import { MessageRecorder } from '../chat/recorder';
import { SessionService } from '../chat/sessions';
import { SyncHints } from '../chat/sync-hints';
import type { Coordinator } from '../cluster/coordination/types';
import { EpochFence } from '../cluster/epoch-fence';
import { LeaderRpc } from '../cluster/leader-rpc';
import { PeerOutbox } from '../cluster/peer-outbox';
import { PresenceReadiness } from '../cluster/presence-readiness';
import type { AdminApi } from '../cluster/rpc/admin-service';
import type { NodeConfig } from '../config/node';
import type { Logger } from '../core/logger';
import { CloseCode } from '../protocol/close-codes';
import { pushCodec } from '../protocol/push';
import { operatorApi } from './admin';
import { ClusterOutbound } from './cluster-outbound';
import { commandPipeline } from './command-pipeline';
import { leaderDuties } from './leader-tasks';
import { LeaderService } from './leader-service';
import { LinkLossWatch } from './link-loss';
import { LoadPublisher } from './load-publisher';
import { MembershipSync } from './membership-sync';
import { storeMetrics } from './metrics';
import type { NodePorts } from './node-ports';
import { PeerRouter } from './peer-router';
import { roomParts } from './room-parts';
import { SharedStateRecovery } from './shared-state-recovery';
import { releaseStaleSessions } from './stale-sessions';

/** What a running node exposes to its owner (the bin script, tests, benchmarks). */
export interface NodeHandle {
  nodeId: string;
  wsUrl: string;
  coordinator: Coordinator;
}

/** How long a follower waits for the leader's answer. */
const LEADER_TIMEOUT_MS = 5000;

/** The gateway stops sending clients here; clients finish and are sent elsewhere; then leadership, the
 * rooms and membership go; then what was gathered for the shared state. */
const STOP_ORDER = ['load', 'edge', 'duties', 'rooms', 'coordinator', 'activity-flush'] as const;
type StopStep = (typeof STOP_ORDER)[number];

/**
 * One chat node: the chat services between the client edge, the other nodes
 * and the shared state, all reached through the ports it is given. It opens
 * no connection itself, so three of them can run in one process on in-memory
 * adapters as well as in three processes on Redis, ZooKeeper and gRPC.
 */
export class ChatNode {
  readonly log: Logger;
  /** Operators' diagnostics; the composition root serves them on the internal port. */
  admin: AdminApi | undefined;
  private readonly startedAt: number;
  /** Shutdown steps by name; `doStop` runs them in STOP_ORDER. */
  private readonly closers = new Map<StopStep, () => Promise<unknown> | unknown>();
  private recovery: SharedStateRecovery | undefined;
  private stopping: Promise<void> | undefined;
  private handle: NodeHandle | undefined;

  constructor(
    private readonly config: NodeConfig,
    private readonly ports: NodePorts,
    logger: Logger,
  ) {
    this.log = logger.child({ nodeId: config.nodeId });
    this.startedAt = ports.clock.now();
  }

  get info(): NodeHandle {
    if (!this.handle) throw new Error('ChatNode has not started');
    return this.handle;
  }

  async start(): Promise<NodeHandle> {
    const { config, ports, log } = this;
    const { coordinator, transport, store, clock, events } = ports;
    const nodeId = config.nodeId;
    const filter = DirtyWordFilter.fromWords(await loadWordList(config.chat.dirtyWordsPath));
    storeMetrics(ports.metrics, () => store.writeStats?.());

    const local = new LocalSessions();
    if (ports.hooks.wants('messageDelivered'))
      local.onDelivered = (message, to) => events({ type: 'messageDelivered', message, to, nodeId });
    const presence = new Presence();
    const fence = new EpochFence();
    const outbox: PeerOutbox = new PeerOutbox({
      transport,
      epoch: () =>
        coordinator.isLeader() ? coordinator.leadership().epoch : (coordinator.leader()?.epoch ?? 0),
      now: () => clock.now(),
      logger: log,
      greeting: () => membership.snapshot(),
    });
    const rpc = new LeaderRpc<LeaderReply>({ nodeId, timeoutMs: LEADER_TIMEOUT_MS, timers: clock });
    const readiness: PresenceReadiness = new PresenceReadiness(() => membership.peers(), clock);
    const recorder = new MessageRecorder({
      store: store.messages,
      activity: ports.activity,
      filter,
      words: (t) => extractWords(t),
      events,
    });
    const { ownership, groups, host } = roomParts(config, ports, {
      outbox,
      fence,
      recorder,
      readiness,
      presence,
      local,
      peers: () => membership.peers(),
      logger: log,
    });
    const leader = new LeaderService({ coordinator, outbox, logger: log });
    const cluster = new ClusterOutbound({
      nodeId,
      coordinator,
      outbox,
      presence,
      rpc,
      host,
      ownership,
      route: config.chat.directRoute,
      confirmMs: config.chat.deliveryConfirmMs,
      clock,
    });
    const sessions = new SessionService({
      users: store.users,
      messages: store.messages,
      attempts: ports.attempts,
      tokens: ports.tokens,
      directory: ports.directory,
      local,
      cluster,
      resumeTokenTtlS: config.login.resumeTokenTtlS,
      logger: log.child({ component: 'sessions' }),
      events,
      now: () => clock.now(),
    });
    const membership: MembershipSync = new MembershipSync({
      nodeId,
      coordinator,
      transport,
      outbox,
      presence,
      readiness,
      local,
      fence,
      logger: log,
      onLeaderLost: (leaderId, why) => rpc.failTo(leaderId, why),
      onPeerLost: (peer, why) => rpc.failTo(peer, why, 'OWNER_LOST'),
    });
    const router = new PeerRouter({
      nodeId,
      coordinator,
      local,
      presence,
      readiness,
      sessions,
      outbox,
      rpc,
      leader,
      host,
      ownership,
      codec: pushCodec,
      confirmations: cluster.confirmations,
      snapshot: () => membership.snapshot(),
      logger: log,
    });
    transport.on('frame', (from, frame) => router.handle(from, frame));
    coordinator.on('leadership', (change) => {
      if (change.leading) rpc.failAll('this node became the leader');
    });
    membership.start();
    new LinkLossWatch({
      transport,
      coordinator,
      hints: new SyncHints({ messages: store.messages, local, logger: log }),
      now: () => clock.now(),
      logger: log,
    }).start();

    const direct = new DirectChat({
      users: store.users,
      directory: ports.directory,
      local,
      presence,
      cluster,
      recorder,
      codec: pushCodec,
      knowsSessionsOf: (peer) => readiness.hasReported(peer),
      now: () => clock.now(),
    });
    presence.onLogin = (username, at) => direct.loggedIn(username, at);
    // Logins wait until this node is registered: until then no other node could find its users.
    const joined = (): boolean => this.handle !== undefined;
    const edge = ports.edge(commandPipeline(config, ports, { sessions, direct, cluster, joined }, this.log));
    const { url } = await edge.listen();
    ports.self.wsUrl = config.ws.publicUrl ?? url;
    this.closers.set('edge', () =>
      edge.close({
        code: CloseCode.SERVER_SHUTDOWN,
        reason: 'This node is restarting; reconnect through the gateway.',
        drainMs: config.ws.drainMs,
      }),
    );

    const load = new LoadPublisher({
      nodeId,
      registry: ports.registry,
      count: () => edge.connectionCount,
      logger: log,
    });
    edge.onCount(() => load.changed());
    load.publish();
    this.closers.set('load', () => load.stop());
    this.closers.set('activity-flush', () => ports.activity.flush?.());

    const { duties, serverList } = leaderDuties({
      registry: ports.registry,
      hotWords: ports.activity,
      coordinator,
      hotWordsResetMs: config.chat.hotWordsResetMs,
      logger: log,
    });
    this.recovery = new SharedStateRecovery({
      nodeId,
      directory: ports.directory,
      local,
      sessions,
      load,
      serverList,
      logger: log.child({ component: 'sessions' }),
    });
    const unfollow = duties.follow(coordinator);
    this.closers.set('duties', async () => {
      unfollow();
      await duties.stopAll();
      rpc.failAll('the node is shutting down');
      cluster.confirmations.stop();
    });
    // Rooms go before the membership, so that what runs in them finishes before others take them over.
    this.closers.set('rooms', () => ownership.release());
    this.closers.set('coordinator', async () => {
      await coordinator.stop();
      ownership.stop();
    });

    this.admin = operatorApi(ports, {
      nodeId,
      startedAt: this.startedAt,
      presence,
      local,
      groups,
      ownership,
      outbox,
      connections: () => edge.connectionCount,
      stop: () => this.stop(),
      logger: log,
    });

    await coordinator.start();
    await releaseStaleSessions({ nodeId, directory: ports.directory, local, logger: log });
    this.handle = { nodeId, wsUrl: ports.self.wsUrl, coordinator };
    log.info(
      { event: 'node_started', wsUrl: ports.self.wsUrl, rpcAddress: ports.self.rpcAddress },
      'chat node started',
    );
    return this.handle;
  }

  /** The shared state (Redis) is reachable again, possibly emptied: restore this node's entries. */
  sharedStateRecovered(): Promise<void> {
    return this.recovery?.recover() ?? Promise.resolve();
  }

  /** Clean shutdown: close clients, leave the cluster. Idempotent; the owner closes the ports after. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    for (const step of STOP_ORDER) {
      try {
        await this.closers.get(step)?.();
      } catch (err) {
        this.log.warn({ event: 'shutdown_step_failed', step, err }, 'shutdown step failed');
      }
    }
    this.log.info({ event: 'node_stopped' }, 'chat node stopped');
  }
}
