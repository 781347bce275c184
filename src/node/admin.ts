import type { GroupService } from '../chat/groups';
import type { LocalSessions } from '../chat/local-sessions';
import type { SessionDirectory } from '../chat/ports';
import type { Presence } from '../chat/presence';
import type { PeerOutbox } from '../cluster/peer-outbox';
import type { AdminApi } from '../cluster/rpc/admin-service';
import { NotFound } from '../core/errors';
import type { Logger } from '../core/logger';
import { roomToWire } from '../protocol/mappers';
import { clusterMetrics } from './cluster-metrics';
import type { NodePorts } from './node-ports';
import type { NodeOwnership } from './ownership';
import { nodeStatus, roleOf, wholeMs } from './node-status';
import { describeCluster, drainNode, kickUser } from './operator-actions';
import type { OperatorDeps } from './operator-actions';

export interface AdminDeps extends OperatorDeps {
  directory: SessionDirectory;
  groups: GroupService;
}

/** What ChatNode builds that the operator's view reads (the rest comes from its ports). */
export interface OperatorParts {
  nodeId: string;
  startedAt: number;
  presence: Presence;
  local: LocalSessions;
  groups: GroupService;
  ownership: NodeOwnership;
  outbox: PeerOutbox;
  connections: () => number;
  /** ChatNode.stop: what DrainNode does unless the ports say otherwise. */
  stop: () => Promise<void>;
  logger: Logger;
}

/**
 * The operator's view of a node: registers the cluster metrics on the
 * node's registry and returns the AdminService methods.
 */
export function operatorApi(ports: NodePorts, parts: OperatorParts): AdminApi {
  const { coordinator } = ports;
  const { groups } = parts;
  const deps: AdminDeps = {
    ...parts,
    now: () => ports.clock.now(),
    coordinator,
    transport: ports.transport,
    metrics: ports.metrics,
    directory: ports.directory,
    peers: ports.peerAdmin,
    drain: ports.drain ?? parts.stop,
    // The rooms this node runs: every room on the leader, or this node's share with rooms spread.
    ownedRooms: () => groups.list().map((r) => r.name),
    ownership: () => parts.ownership.describe(),
  };
  clusterMetrics(ports.metrics, deps);
  return adminApi(deps);
}

/** AdminService answers for operators (grpcurl with the admin certificate, the web console). */
export function adminApi(d: AdminDeps): AdminApi {
  return {
    clusterInfo: async () => {
      const leader = d.coordinator.leader();
      return {
        nodeId: d.nodeId,
        role: roleOf(d.coordinator),
        leaderId: leader?.nodeId ?? '',
        epoch: leader?.epoch ?? 0,
        nodes: d.coordinator.members().map((m) => ({ ...m })),
        uptimeMs: wholeMs(d.now() - d.startedAt),
        connections: d.connections(),
      };
    },
    describeCluster: () => describeCluster(d),
    nodeStatus: async () => ({ status: await nodeStatus(d) }),
    kickUser: (req) => kickUser(d, req),
    drainNode: (req) => drainNode(d, req),
    listSessions: async (req) => {
      const local = [...d.local.all()].map((s) => ({
        username: s.username,
        nodeId: d.nodeId,
        loginAt: s.loginAt,
        sid: s.sid,
        online: true,
      }));
      const global = await d.directory.all();
      const live = new Set(d.coordinator.members().map((m) => m.nodeId));
      const sessions = req.global
        ? [...global].map(([username, s]) => ({
            username,
            nodeId: s.nodeId,
            loginAt: s.loginAt,
            sid: s.sid,
            online: live.has(s.nodeId),
          }))
        : local;
      return { sessions, localCount: local.length, globalCount: global.size };
    },
    // Any node answers from the store: with rooms spread no node holds them all.
    listRooms: async () => ({ rooms: (await d.groups.listStored()).map(roomToWire) }),
    getRoom: async (name) => {
      const members = d.groups.membersOf(name) ?? (await d.groups.storedMembers(name));
      if (!members) throw new NotFound(`There is no room named ${name}.`, 'UNKNOWN_ROOM');
      return {
        name,
        members,
        onlineByNode: [...d.presence.byNode(members)].map(([nodeId, usernames]) => ({ nodeId, usernames })),
      };
    },
  };
}
