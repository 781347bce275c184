import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { LinkStats } from '../cluster/rpc/counters';
import { linkInfo, peersOf } from './node-status';
import type { NodeStatusSource } from './node-status';

/** A gauge whose value is read when scraped. */
function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** A gauge with one series per peer of this node, read when scraped (departed peers vanish). */
function perPeer(
  registry: Registry,
  s: NodeStatusSource,
  name: string,
  help: string,
  read: (peer: string) => number,
): void {
  new Gauge({
    name,
    help,
    labelNames: ['peer'],
    registers: [registry],
    collect() {
      this.reset();
      for (const peer of peersOf(s)) this.set({ peer }, read(peer));
    },
  });
}

/** A counter that copies a total kept elsewhere when scraped. */
function copiedCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/**
 * What the alerting rules watch: leadership and epoch, membership, this
 * node's links to every peer, frames held for peers, ZooKeeper, and the load.
 */
export function clusterMetrics(registry: Registry, s: NodeStatusSource): void {
  const { coordinator } = s;
  gauge(registry, 'chat_cluster_is_leader', '1 while this node acts as the leader.', () =>
    coordinator.isLeader() ? 1 : 0,
  );
  gauge(registry, 'chat_cluster_leader_known', '1 while this node knows a leader.', () =>
    coordinator.leader() ? 1 : 0,
  );
  gauge(
    registry,
    'chat_cluster_epoch',
    'Election epoch of the leader this node knows (0 = none).',
    () => coordinator.leader()?.epoch ?? 0,
  );
  gauge(
    registry,
    'chat_cluster_members',
    'Live members this node sees in ZooKeeper, itself included.',
    () => coordinator.members().length,
  );
  const changes = new Counter({
    name: 'chat_cluster_leader_changes_total',
    help: 'Times the leader this node knows was replaced by another (a new epoch).',
    registers: [registry],
  });
  let epoch: number | undefined;
  coordinator.on('leader', (view) => {
    if (!view) return;
    if (epoch !== undefined && view.epoch !== epoch) changes.inc();
    epoch = view.epoch;
  });
  perPeer(registry, s, 'chat_peer_link_up', "1 while this node's link to the peer is up.", (peer) =>
    linkInfo(s.transport, peer).state === 'up' ? 1 : 0,
  );
  perPeer(
    registry,
    s,
    'chat_peer_frames_queued',
    "Frames waiting in the peer link's batch.",
    (peer) => linkInfo(s.transport, peer).queued,
  );
  perPeer(registry, s, 'chat_peer_frames_held', 'Frames held for the peer while its link is down.', (peer) =>
    s.outbox.heldFor(peer),
  );
  copiedCounter(
    registry,
    'chat_peer_frames_refused_total',
    'Frames for peers refused: the hold queue or a link queue was full.',
    () => s.outbox.stats().refused,
  );
  copiedCounter(
    registry,
    'chat_peer_frames_expired_total',
    'Frames held for a peer that grew too old before it came back.',
    () => s.outbox.stats().expired,
  );
  const zookeeper = coordinator.zookeeper?.bind(coordinator);
  // In-process coordinators have no ZooKeeper to report on.
  if (zookeeper) {
    gauge(registry, 'chat_zookeeper_connected', '1 while the ZooKeeper session is connected.', () =>
      zookeeper().connected ? 1 : 0,
    );
    gauge(
      registry,
      'chat_zookeeper_session_age_seconds',
      'Since the current ZooKeeper session was established (0 = none).',
      () => zookeeper().sessionAgeMs / 1000,
    );
  }
  gauge(registry, 'chat_ws_connections', 'Open client connections.', () => s.connections());
  gauge(registry, 'chat_sessions', 'Logged-in sessions on this node.', () => s.local.size);
  gauge(registry, 'chat_rooms_owned', 'Rooms this node runs.', () => s.ownedRooms().length);
}

/** The gRPC links' traffic counters (GrpcTransport.stats), copied when scraped. */
export function linkTrafficMetrics(registry: Registry, stats: () => LinkStats): void {
  const copy = (name: string, help: string, read: (s: LinkStats) => number): void =>
    copiedCounter(registry, name, help, () => read(stats()));
  copy(
    'chat_peer_messages_sent_total',
    'gRPC messages (batches of frames) written to peers.',
    (s) => s.messagesSent,
  );
  copy('chat_peer_frames_sent_total', 'Frames written to peers.', (s) => s.framesSent);
  copy('chat_peer_frames_received_total', 'Frames received from peers.', (s) => s.framesReceived);
  copy(
    'chat_peer_frames_dropped_total',
    "Frames refused because a peer link's queue was full (backpressure).",
    (s) => s.framesDropped,
  );
  copy('chat_peer_frames_lost_total', 'Frames still queued when their link broke.', (s) => s.framesLost);
}
