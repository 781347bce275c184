import type { Registry } from 'prom-client';
import { LinkState } from '../../gen/chat/v1/cluster';
import type { LinkStatus, NodeStatus, ZooKeeperStatus } from '../../gen/chat/v1/cluster';
import type { LocalSessions } from '../chat/local-sessions';
import type { Coordinator } from '../cluster/coordination/types';
import type { PeerOutbox } from '../cluster/peer-outbox';
import type { LinkInfo, PeerTransport } from '../cluster/transport';

/** What a node reads to describe itself to operators (AdminService, metrics, the console). */
export interface NodeStatusSource {
  nodeId: string;
  /** When the node started (ms since the epoch). */
  startedAt: number;
  now: () => number;
  coordinator: Coordinator;
  transport: PeerTransport;
  outbox: PeerOutbox;
  local: LocalSessions;
  connections: () => number;
  /** Rooms this node runs: every room on the leader, or this node's share with rooms spread. */
  ownedRooms: () => string[];
  /** Where rooms run, and the ownership handover this node is in (NodeOwnership.describe). */
  ownership?: () => { mode: string; version: number; waitingFor: string[] };
  /** The node's Prometheus registry: the counters the status reports are read from it. */
  metrics: Registry;
}

/** Chat messages a client sends (counted when accepted). */
const MESSAGE_COMMANDS = new Set(['sendDirect', 'sendRoom', 'sendChannel']);
/** Room names a status lists at most; the count is always complete. */
const MAX_ROOM_NAMES = 100;

export type Role = 'leader' | 'follower' | 'candidate';

export function roleOf(coordinator: Coordinator): Role {
  if (coordinator.isLeader()) return 'leader';
  return coordinator.leader() ? 'follower' : 'candidate';
}

/** The transport's view of one link, or what can be said without one (in-process links). */
export function linkInfo(transport: PeerTransport, peer: string): LinkInfo {
  return (
    transport.linkInfo?.(peer) ?? {
      state: transport.isUp(peer) ? 'up' : 'down',
      incomingUp: false,
      lastSentAt: undefined,
      lastReceivedAt: undefined,
      queued: 0,
    }
  );
}

const WIRE_STATE: Record<LinkInfo['state'], LinkState> = {
  up: LinkState.LINK_STATE_UP,
  dialling: LinkState.LINK_STATE_DIALLING,
  down: LinkState.LINK_STATE_DOWN,
};

export function linkStatus(s: NodeStatusSource, peer: string): LinkStatus {
  const info = linkInfo(s.transport, peer);
  const now = s.now();
  const age = (at: number | undefined): number | undefined =>
    at === undefined ? undefined : wholeMs(now - at);
  return {
    peer,
    state: WIRE_STATE[info.state],
    incomingUp: info.incomingUp,
    lastSentAgeMs: age(info.lastSentAt),
    lastReceivedAgeMs: age(info.lastReceivedAt),
    queuedFrames: info.queued,
    heldFrames: s.outbox.heldFor(peer),
  };
}

/** Durations travel as uint64 milliseconds: whole and never negative, whatever the clock. */
export function wholeMs(ms: number): number {
  return Math.max(0, Math.round(ms));
}

/** Every other member this node knows. */
export function peersOf(s: NodeStatusSource): string[] {
  return s.coordinator
    .members()
    .map((m) => m.nodeId)
    .filter((id) => id !== s.nodeId)
    .sort();
}

export function zooKeeperStatus(coordinator: Coordinator): ZooKeeperStatus | undefined {
  return coordinator.zookeeper?.();
}

/** Sum of a counter's values whose labels pass `keep`; 0 when the counter does not exist. */
async function counterSum(
  registry: Registry,
  name: string,
  keep: (labels: Record<string, string | number | undefined>) => boolean = () => true,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => keep(v.labels)).reduce((sum, v) => sum + v.value, 0);
}

/** This node as it describes itself: role, load, links, rooms, counters, ZooKeeper. */
export async function nodeStatus(s: NodeStatusSource): Promise<NodeStatus> {
  const leader = s.coordinator.leader();
  const rooms = s.ownedRooms();
  const ownership = s.ownership?.();
  const outbox = s.outbox.stats();
  const [slow, rateLimited, messages, opened] = await Promise.all([
    counterSum(s.metrics, 'chat_ws_slow_consumers_total'),
    counterSum(s.metrics, 'chat_ws_strikes_total', (l) => l['cause'] === 'rate'),
    counterSum(
      s.metrics,
      'chat_commands_total',
      (l) => MESSAGE_COMMANDS.has(String(l['command'])) && l['outcome'] === 'ok',
    ),
    counterSum(s.metrics, 'chat_ws_connections_opened_total'),
  ]);
  return {
    nodeId: s.nodeId,
    role: roleOf(s.coordinator),
    leaderId: leader?.nodeId ?? '',
    epoch: leader?.epoch ?? 0,
    uptimeMs: wholeMs(s.now() - s.startedAt),
    sessions: s.local.size,
    connections: s.connections(),
    links: peersOf(s).map((peer) => linkStatus(s, peer)),
    ownedRoomCount: rooms.length,
    ownedRooms: [...rooms].sort().slice(0, MAX_ROOM_NAMES),
    slowConsumersTotal: slow,
    rateLimitedTotal: rateLimited,
    zookeeper: zooKeeperStatus(s.coordinator),
    messagesTotal: messages,
    connectionsOpenedTotal: opened,
    heldFrames: outbox.held,
    framesRefusedTotal: outbox.refused,
    framesExpiredTotal: outbox.expired,
    roomOwnership: ownership?.mode ?? '',
    ownershipVersion: ownership?.version ?? 0,
    handoverWaitingFor: ownership?.waitingFor ?? [],
  };
}
