import { GroupService } from '../chat/groups';
import type { LocalSessions } from '../chat/local-sessions';
import type { Presence } from '../chat/presence';
import type { MessageRecorder } from '../chat/recorder';
import { RecentHistory } from '../chat/recent-history';
import type { EpochFence } from '../cluster/epoch-fence';
import type { PeerOutbox } from '../cluster/peer-outbox';
import type { PresenceReadiness } from '../cluster/presence-readiness';
import type { NodeConfig } from '../config/node';
import type { Logger } from '../core/logger';
import { pushCodec } from '../protocol/push';
import { LeaderOwnership } from './leader-ownership';
import type { NodePorts } from './node-ports';
import type { NodeOwnership } from './ownership';
import { RoomHost } from './room-host';
import { SpreadOwnership } from './spread-ownership';

/** What runs rooms and channels on a node: which ones it owns, their state, their fan-out. */
export interface RoomParts {
  ownership: NodeOwnership;
  groups: GroupService;
  host: RoomHost;
}

/** Builds the room parts of a node for ROOM_OWNERSHIP (spread over the members, or on the leader). */
export function roomParts(
  config: NodeConfig,
  ports: NodePorts,
  parts: {
    outbox: PeerOutbox;
    fence: EpochFence;
    recorder: MessageRecorder;
    readiness: PresenceReadiness;
    presence: Presence;
    local: LocalSessions;
    peers: () => string[];
    logger: Logger;
  },
): RoomParts {
  const { coordinator, transport, clock } = ports;
  const { nodeId } = config;
  const { outbox, logger } = parts;
  const ownership: NodeOwnership =
    config.chat.roomOwnership === 'spread'
      ? new SpreadOwnership({
          nodeId,
          coordinator,
          outbox,
          transport,
          // An owner cut off from ZooKeeper has stopped by its own clock within this.
          handoverTimeoutMs: config.zk.sessionTimeoutMs,
          clock,
          logger,
        })
      : new LeaderOwnership({ coordinator, fence: parts.fence });
  const groups = new GroupService({
    rooms: ports.store.rooms,
    recorder: parts.recorder,
    recent: new RecentHistory({ activity: ports.activity, messages: ports.store.messages }),
    logger: logger.child({ component: 'rooms' }),
    ownership,
    listFrom: ownership.mode === 'spread' ? 'store' : 'memory',
    // A node that gains rooms waits (bounded) for every peer's session snapshot before their fan-out.
    presenceReady: () => parts.readiness.whenComplete(Math.min(3000, config.zk.sessionTimeoutMs)),
    events: ports.events,
    maxQueuedPerRoom: config.chat.roomQueueMax,
  });
  ownership.start(() => groups.reassigned());
  const host = new RoomHost({
    nodeId,
    ownership,
    groups,
    outbox,
    presence: parts.presence,
    local: parts.local,
    codec: pushCodec,
    peers: parts.peers,
    logger,
  });
  return { ownership, groups, host };
}
