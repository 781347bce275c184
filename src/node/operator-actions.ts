import type {
  DescribeClusterResponse,
  DrainNodeRequest,
  DrainNodeResponse,
  KickUserRequest,
  KickUserResponse,
  MemberStatus,
} from '../../gen/chat/v1/cluster';
import type { Presence } from '../chat/presence';
import type { NodeDescriptor } from '../cluster/coordination/types';
import type { PeerAdmin } from '../cluster/rpc/admin-service';
import { InvalidArgument, NotFound, Unavailable } from '../core/errors';
import type { Logger } from '../core/logger';
import { linkStatus, nodeStatus } from './node-status';
import type { NodeStatusSource } from './node-status';

export interface OperatorDeps extends NodeStatusSource {
  presence: Presence;
  peers: PeerAdmin | undefined;
  /** Stops this node gracefully; called after the DrainNode answer has left. */
  drain: () => Promise<void>;
  logger: Logger;
}

/** How long DescribeCluster waits for a member's own status: the answer must come within a second. */
export const MEMBER_STATUS_TIMEOUT_MS = 700;
const DEFAULT_KICK_REASON = 'An operator closed your session.';

/** The cluster in one answer: this node's view of the leader, every member's own status and link. */
export async function describeCluster(d: OperatorDeps): Promise<DescribeClusterResponse> {
  const leader = d.coordinator.leader();
  const members = [...d.coordinator.members()].sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  const statuses = await Promise.all(
    members.map(async (member): Promise<MemberStatus> => {
      const own = member.nodeId === d.nodeId;
      const base = {
        nodeId: member.nodeId,
        info: { ...member },
        link: own ? undefined : linkStatus(d, member.nodeId),
      };
      try {
        if (own) return { ...base, status: await nodeStatus(d), error: '' };
        if (!d.peers) return { ...base, status: undefined, error: 'this node cannot reach other members' };
        return { ...base, status: await d.peers.status(member, MEMBER_STATUS_TIMEOUT_MS), error: '' };
      } catch (err) {
        return { ...base, status: undefined, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  return {
    nodeId: d.nodeId,
    leaderId: leader?.nodeId ?? '',
    epoch: leader?.epoch ?? 0,
    members: statuses,
    at: Math.round(d.now()),
  };
}

/** Closes the user's session here, or asks the node that has it (once: a passed-on request stays). */
export async function kickUser(d: OperatorDeps, req: KickUserRequest): Promise<KickUserResponse> {
  if (!req.username) throw new InvalidArgument('Name the user to kick.', 'USERNAME_REQUIRED');
  const reason = req.reason || DEFAULT_KICK_REASON;
  const session = d.local.get(req.username);
  if (session) {
    // The connection's close runs the usual logout: presence, the global session, plugins.
    session.peer.kick(reason, 'removed');
    d.logger.info({ event: 'operator_kick', user: req.username }, 'operator closed a session');
    return { nodeId: d.nodeId, kicked: true };
  }
  const where = d.presence.nodeOf(req.username);
  const member = where === undefined ? undefined : memberOf(d, where);
  if (!member || where === d.nodeId || req.forwarded || !d.peers) {
    return { nodeId: where ?? '', kicked: false };
  }
  return d.peers.kick(member, { ...req, reason, forwarded: true });
}

/** Drains this node, or asks the member named to drain itself. */
export async function drainNode(d: OperatorDeps, req: DrainNodeRequest): Promise<DrainNodeResponse> {
  const target = req.nodeId || d.nodeId;
  if (target !== d.nodeId) {
    const member = memberOf(d, target);
    if (!member) throw new NotFound(`No live member is named ${target}.`, 'UNKNOWN_NODE');
    if (!d.peers) throw new Unavailable(`This node cannot reach ${target}; ask its own AdminService.`);
    return d.peers.drain(member);
  }
  d.logger.warn({ event: 'operator_drain' }, 'an operator drains this node: closing clients and leaving');
  // After this answer has left: the stop closes the port it travels on.
  setImmediate(() => {
    d.drain().catch((err: unknown) => d.logger.error({ event: 'drain_failed', err }, 'drain failed'));
  });
  return { nodeId: d.nodeId, draining: true };
}

function memberOf(d: OperatorDeps, nodeId: string): NodeDescriptor | undefined {
  return d.coordinator.members().find((m) => m.nodeId === nodeId);
}
