import type { ClusterPort } from '../chat/cluster-port';
import type { GroupService } from '../chat/groups';
import type { LocalSessions } from '../chat/local-sessions';
import type { Presence } from '../chat/presence';
import type { SessionService } from '../chat/sessions';
import type { Actor, DeliverOrder, LeaderOp, LeaderResult } from '../chat/types';
import type { ClusterCoordinator } from '../cluster/coordination/coordinator';
import type { NodeDescriptor } from '../cluster/coordination/types';
import type { LeaderLink } from '../cluster/rpc/leader-link';
import type { LinkHub, OutgoingFrame } from '../cluster/rpc/link-hub';
import { Unavailable } from '../core/errors';
import type { Logger } from '../core/logger';
import type { LeaderRequest, PeerFrame, ServerList } from '../../gen/chat/v1/cluster';
import {
  deliverFromWire,
  deliverToWire,
  leaderErrorToWire,
  leaderReplyFromWire,
  leaderRequestFromWire,
  leaderRequestToWire,
  leaderResultToWire,
} from '../protocol/mappers';

/** Frames held for the next leader: at most this many, at most this old. */
const HOLD_MAX_FRAMES = 10_000;
const HOLD_MAX_AGE_MS = 15_000;

export interface ClusterBridgeDeps {
  nodeId: string;
  coordinator: ClusterCoordinator;
  hub: LinkHub;
  link: LeaderLink;
  local: LocalSessions;
  presence: Presence;
  logger: Logger;
  /** How long a follower waits for the leader's answer. */
  leaderTimeoutMs?: number;
}

/** The chat services the bridge calls for frames that arrive from peers. */
export interface ChatSide {
  sessions: SessionService;
  groups: GroupService;
}

interface Pending {
  resolve: (result: LeaderResult) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The chat domain's ClusterPort over ZooKeeper membership and the gRPC links,
 * and the meaning of every link frame. On the leader, frames come from the
 * LinkHub (one stream per follower); on a follower, from the LeaderLink.
 */
export class ClusterBridge implements ClusterPort {
  readonly nodeId: string;
  private chat: ChatSide | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 1;
  private serverList: ServerList = { nodes: [] };
  /** Leader: followers whose users are in presence (a dead one's link is gone before its znode). */
  private readonly presentNodes = new Set<string>();
  private presenceWaiters: Array<() => void> = [];
  private held: Array<{ frame: OutgoingFrame; at: number }> = [];
  private readonly log: Logger;

  constructor(private readonly deps: ClusterBridgeDeps) {
    this.nodeId = deps.nodeId;
    this.log = deps.logger.child({ component: 'bridge' });
    deps.hub.on('frame', (from, frame) => this.onFollowerFrame(from, frame));
    deps.link.on('frame', (frame) => this.onLeaderFrame(frame));
    deps.link.on('up', () => {
      this.sendSnapshot();
      this.flushHeld();
    });
    deps.link.on('down', (_target, reason) => this.failPending(`the link to the leader broke (${reason})`));
  }

  bind(chat: ChatSide): void {
    this.chat = chat;
  }

  isLeader(): boolean {
    return this.deps.coordinator.isLeader();
  }

  isLive(nodeId: string): boolean {
    return this.deps.coordinator.members().some((member) => member.nodeId === nodeId);
  }

  /** The live members as last pushed by the leader (followers) or seen in ZooKeeper (leader). */
  knownServers(): ServerList {
    return this.isLeader() ? { nodes: this.deps.coordinator.members().map(nodeInfo) } : this.serverList;
  }

  deliverTo(nodeId: string, order: DeliverOrder): boolean {
    if (nodeId === this.nodeId) {
      this.deliverLocally(order);
      return true;
    }
    const deliver = deliverToWire(order);
    if (this.isLeader()) return this.deps.hub.send(nodeId, { body: { $case: 'deliver', value: deliver } });
    return this.toLeaderOrHold({ body: { $case: 'routeDirect', value: { targetNode: nodeId, deliver } } });
  }

  deliverToAll(order: DeliverOrder): void {
    this.deps.hub.broadcast({ body: { $case: 'deliver', value: deliverToWire(order) } });
  }

  kick(nodeId: string, username: string, sid: string, reason: string): void {
    // A follower's kick forwarded to the leader may name the leader itself.
    if (nodeId === this.nodeId) {
      this.requireChat().sessions.kickLocal(username, sid, reason);
      return;
    }
    const kick = { targetNode: nodeId, username, sid, reason };
    if (this.isLeader()) this.deps.hub.send(nodeId, { body: { $case: 'kick', value: kick } });
    else this.toLeaderOrHold({ body: { $case: 'kick', value: kick } });
  }

  announceSession(user: { username: string; sid: string; alliance: string }, online: boolean): void {
    if (this.isLeader()) {
      if (online) this.deps.presence.online(this.nodeId, user.username, user.sid);
      else this.deps.presence.offline(this.nodeId, user.username, user.sid);
      return;
    }
    // While the link is down the snapshot sent when it comes back covers this.
    if (!this.deps.link.isUp) return;
    const value = {
      nodeId: this.nodeId,
      user: { username: user.username, sid: user.sid, alliance: user.alliance },
      online,
    };
    this.toLeader({ body: { $case: 'sessionEvent', value } });
  }

  async askLeader(actor: Actor, op: LeaderOp): Promise<LeaderResult> {
    const chat = this.requireChat();
    if (this.isLeader()) return chat.groups.handle(actor, op);
    const target = this.deps.link.target;
    if (!target || !this.deps.link.isUp) {
      throw new Unavailable(
        'The cluster has no reachable leader right now; try again in a moment.',
        'NO_LEADER',
      );
    }
    const requestId = this.nextRequestId++;
    const timeoutMs = this.deps.leaderTimeoutMs ?? 5000;
    return new Promise<LeaderResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(
          new Unavailable(
            `Node ${this.nodeId} waited ${timeoutMs} ms for leader ${target.nodeId} to answer ${op.op}.`,
            'LEADER_TIMEOUT',
          ),
        );
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      this.toLeader({ body: { $case: 'request', value: leaderRequestToWire(requestId, actor, op) } });
    });
  }

  /** Leader: a node joined or left; presence of departed nodes goes. */
  onMembers(members: NodeDescriptor[]): void {
    if (!this.isLeader()) return;
    const live = new Set(members.map((m) => m.nodeId));
    for (const nodeId of [...this.presentNodes]) {
      if (live.has(nodeId)) continue;
      this.deps.presence.dropNode(nodeId);
      this.presentNodes.delete(nodeId);
    }
    this.deps.hub.broadcast({ body: { $case: 'serverList', value: { nodes: members.map(nodeInfo) } } });
    this.checkPresence();
  }

  /**
   * Leader: resolves once every live follower has sent its session snapshot
   * (or after `timeoutMs`, false). Room fan-out before that would miss the
   * members of followers that have not re-linked to a new leader yet.
   */
  followersReported(timeoutMs: number): Promise<boolean> {
    if (this.presenceComplete()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.presenceWaiters = this.presenceWaiters.filter((w) => w !== done);
        const missing = this.deps.coordinator
          .members()
          .map((m) => m.nodeId)
          .filter((id) => id !== this.nodeId && !this.presentNodes.has(id));
        this.log.warn(
          { event: 'presence_incomplete', missing, timeoutMs },
          'serving rooms before every follower re-linked',
        );
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.presenceWaiters.push(done);
    });
  }

  private presenceComplete(): boolean {
    return this.deps.coordinator
      .members()
      .every((m) => m.nodeId === this.nodeId || this.presentNodes.has(m.nodeId));
  }

  private checkPresence(): void {
    if (this.presenceWaiters.length === 0 || !this.presenceComplete()) return;
    const waiters = this.presenceWaiters;
    this.presenceWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Leadership began: presence starts from this node's own sessions; followers send snapshots. */
  onLeadershipStart(): void {
    this.failPending('this node became the leader');
    this.deps.presence.clear();
    this.presentNodes.clear();
    for (const session of this.deps.local.all())
      this.deps.presence.online(this.nodeId, session.username, session.sid);
    // Frames this node held for a leader are now its own to route, once the followers are back.
    if (this.held.length > 0) {
      void this.followersReported(3000).then(() => {
        const held = this.held;
        this.held = [];
        for (const { frame } of held)
          this.onFollowerFrame(this.nodeId, { epoch: this.deps.hub.epoch, body: frame.body });
      });
    }
  }

  close(): void {
    this.failPending('the node is shutting down');
  }

  private onFollowerFrame(from: string, frame: PeerFrame): void {
    const body = frame.body;
    if (!body) return;
    try {
      switch (body.$case) {
        case 'routeDirect':
          if (body.value.deliver) this.deliverTo(body.value.targetNode, deliverFromWire(body.value.deliver));
          return;
        case 'kick':
          this.kick(body.value.targetNode, body.value.username, body.value.sid, body.value.reason);
          return;
        case 'request':
          this.answer(from, frame.epoch, body.value);
          return;
        case 'sessionSnapshot':
          this.presentNodes.add(from);
          this.deps.presence.snapshot(from, body.value.users);
          this.checkPresence();
          return;
        case 'sessionEvent': {
          const user = body.value.user;
          if (!user) return;
          this.presentNodes.add(from);
          if (body.value.online) this.deps.presence.online(from, user.username, user.sid);
          else this.deps.presence.offline(from, user.username, user.sid);
          return;
        }
        default:
          this.log.debug(
            { event: 'unexpected_frame', from, kind: body.$case },
            'frame not meant for the leader',
          );
      }
    } catch (err) {
      this.log.warn(
        { event: 'frame_failed', from, kind: body.$case, err },
        'could not handle a frame from a follower',
      );
    }
  }

  private onLeaderFrame(frame: PeerFrame): void {
    const body = frame.body;
    if (!body) return;
    try {
      switch (body.$case) {
        case 'deliver':
          this.deliverLocally(deliverFromWire(body.value));
          return;
        case 'kick':
          this.chat?.sessions.kickLocal(body.value.username, body.value.sid, body.value.reason);
          return;
        case 'reply': {
          const pending = this.pending.get(body.value.requestId);
          if (!pending) return;
          this.pending.delete(body.value.requestId);
          clearTimeout(pending.timer);
          try {
            pending.resolve(leaderReplyFromWire(body.value));
          } catch (err) {
            pending.reject(err as Error);
          }
          return;
        }
        case 'serverList':
          this.serverList = body.value;
          return;
        default:
          this.log.debug({ event: 'unexpected_frame', kind: body.$case }, 'frame not meant for a follower');
      }
    } catch (err) {
      this.log.warn(
        { event: 'frame_failed', kind: body.$case, err },
        'could not handle a frame from the leader',
      );
    }
  }

  /** Leader: run a follower's request. Requests addressed to an older leader epoch are refused (fencing). */
  private answer(from: string, epoch: number, request: LeaderRequest): void {
    const reply = (frame: OutgoingFrame['body']): void => {
      this.deps.hub.send(from, { body: frame });
    };
    if (epoch !== this.deps.hub.epoch) {
      const err = new Unavailable(
        `Leader epoch changed (request for ${epoch}, now ${this.deps.hub.epoch}); try again.`,
        'STALE_EPOCH',
      );
      reply({ $case: 'reply', value: leaderErrorToWire(request.requestId, err) });
      return;
    }
    const { actor, op } = leaderRequestFromWire(request);
    this.requireChat()
      .groups.handle(actor, op)
      .then(
        (result) => reply({ $case: 'reply', value: leaderResultToWire(request.requestId, result) }),
        (err: unknown) => {
          if (!(err instanceof Error) || !('code' in err))
            this.log.error({ event: 'leader_op_failed', op: op.op, err }, 'leader operation failed');
          reply({ $case: 'reply', value: leaderErrorToWire(request.requestId, err) });
        },
      );
  }

  private deliverLocally(order: DeliverOrder): void {
    if (order.broadcast) this.deps.local.broadcast(order.message);
    else this.deps.local.deliver(order.message, order.recipients);
  }

  private sendSnapshot(): void {
    const users = [...this.deps.local.all()].map((s) => ({
      username: s.username,
      sid: s.sid,
      alliance: s.alliance,
    }));
    this.toLeader({ body: { $case: 'sessionSnapshot', value: { nodeId: this.nodeId, users } } });
  }

  private toLeader(frame: OutgoingFrame): void {
    this.deps.link.send(frame);
  }

  /**
   * Direct messages and kicks that find no link to the leader (it is being
   * replaced) wait here, bounded in number and age, and go out when the link to
   * the new leader comes up: the recipient gets the push late instead of only
   * at its next sync.
   */
  private toLeaderOrHold(frame: OutgoingFrame): boolean {
    if (this.deps.link.send(frame)) return true;
    const now = Date.now();
    this.dropExpiredHeld(now);
    if (this.held.length >= HOLD_MAX_FRAMES) {
      this.log.warn(
        { event: 'held_frame_dropped', held: this.held.length },
        'no link to the leader and the hold queue is full',
      );
      return false;
    }
    this.held.push({ frame, at: now });
    return true;
  }

  private flushHeld(): void {
    this.dropExpiredHeld(Date.now());
    const held = this.held;
    this.held = [];
    for (const { frame } of held) this.deps.link.send(frame);
    if (held.length > 0)
      this.log.info(
        { event: 'held_frames_sent', count: held.length },
        'frames held during a leader change sent',
      );
  }

  private dropExpiredHeld(now: number): void {
    const fresh = this.held.filter((h) => now - h.at <= HOLD_MAX_AGE_MS);
    if (fresh.length < this.held.length) {
      this.log.warn(
        { event: 'held_frames_expired', count: this.held.length - fresh.length },
        'frames held too long for a leader; recipients get them by sync',
      );
    }
    this.held = fresh;
  }

  private failPending(why: string): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(
        new Unavailable(`The request to the leader was interrupted: ${why}. Try again.`, 'LEADER_CHANGED'),
      );
      this.pending.delete(id);
    }
  }

  private requireChat(): ChatSide {
    if (!this.chat) throw new Error('ClusterBridge used before bind()');
    return this.chat;
  }
}

function nodeInfo(node: NodeDescriptor): {
  nodeId: string;
  wsUrl: string;
  rpcAddress: string;
  startedAt: number;
} {
  return { nodeId: node.nodeId, wsUrl: node.wsUrl, rpcAddress: node.rpcAddress, startedAt: node.startedAt };
}
