import { NotFound } from '../core/errors';
import { conversation } from '../core/names';
import type { UserStore } from '../store/types';
import type { ClusterPort } from './cluster-port';
import type { LocalSessions } from './local-sessions';
import type { SessionDirectory } from './ports';
import { LatePushes } from './late-pushes';
import type { Presence } from './presence';
import type { MessageRecorder } from './recorder';
import type { Actor, OutgoingPush, PushCodec, SendAck, StoredMessage } from './types';

export interface DirectChatDeps {
  users: UserStore;
  directory: SessionDirectory;
  local: LocalSessions;
  presence: Presence;
  cluster: ClusterPort;
  recorder: MessageRecorder;
  codec: PushCodec;
  /** For the pushes kept for a recipient's next login (LatePushes). */
  now: () => number;
  /**
   * Whether this node has `nodeId`'s session snapshot: then presence, not the
   * global directory, says who is there (a directory entry it does not list
   * is left over, e.g. from Redis restored from an old snapshot).
   */
  knowsSessionsOf: (nodeId: string) => boolean;
}

/** Where a user can be reached right now, or null when offline. */
export type Whereabouts = { nodeId: string; loginAt: number; sid: string } | null;

/**
 * Direct messages: the ingress node records the message once, then delivers it
 * locally or hands it to the recipient's node. The recipient's node comes from
 * the cluster-wide presence every node keeps; only a user it does not know
 * (offline, or a login whose announcement is still on its way) costs a read
 * of the global session directory.
 */
export class DirectChat {
  /** Pushes that reached no connection, for the recipient's next login. */
  private readonly late: LatePushes;

  constructor(private readonly deps: DirectChatDeps) {
    this.late = new LatePushes(deps.now);
  }

  /**
   * `ordered` is called once the message has its place in the store's batch:
   * a later message of the same sender is numbered after it from then on.
   */
  async send(
    sender: Actor,
    to: string,
    text: string,
    idempotencyKey = '',
    ordered: () => void = () => undefined,
  ): Promise<SendAck> {
    const where = this.locateKnown(to) ?? (await this.locateInDirectory(to));
    if (!where && !(await this.deps.users.find(to)))
      throw new NotFound(`There is no user named ${to}.`, 'UNKNOWN_USER');
    const recording = this.deps.recorder.record({
      kind: 'direct',
      conversation: conversation.direct(sender.username, to),
      from: sender.username,
      to,
      text,
      idempotencyKey,
    });
    ordered();
    const { message } = await recording;
    // A login may have landed while the message was stored: it was not in that login's
    // `missed` (the store did not have it yet), so look again now that it is stored.
    const reached = where ?? this.locateKnown(to) ?? (await this.locateInDirectory(to));
    if (!reached) {
      throw new NotFound(
        `${to} is offline. The message was stored (seq ${message.seq}) and reaches them when they next sync.`,
        'USER_OFFLINE',
      );
    }
    return this.deliver(message, to, reached);
  }

  private async deliver(
    message: StoredMessage,
    to: string,
    where: NonNullable<Whereabouts>,
  ): Promise<SendAck> {
    const push = this.deps.codec.fromMessage(message);
    let delivered = await this.pushTo(where.nodeId, push, to);
    if (!delivered) {
      // The recipient may have logged in elsewhere while the push was on its way, with a `missed`
      // read before this message was stored: once more where presence puts them now.
      const now = this.locateKnown(to);
      if (now && now.nodeId !== where.nodeId) delivered = await this.pushTo(now.nodeId, push, to);
    }
    // Still nowhere: the login it may be racing is announced later (Presence.onLogin).
    if (!delivered) this.late.keep(to, push);
    return {
      id: message.id,
      conversation: message.conversation,
      seq: message.seq,
      ts: message.ts,
      delivered,
    };
  }

  /** `username`'s login on `nodeId` is now their current one: what was kept for them goes there. */
  loggedIn(username: string, nodeId: string): void {
    for (const push of this.late.take(username)) void this.pushTo(nodeId, push, username);
  }

  private async pushTo(nodeId: string, push: OutgoingPush, to: string): Promise<boolean> {
    if (nodeId === this.deps.cluster.nodeId) return this.deps.local.deliver(push, [to]) > 0;
    return this.deps.cluster.deliverDirect(nodeId, {
      push,
      recipients: [to],
      broadcast: false,
      alliance: '',
    });
  }

  /** Where a user is logged in: this node, the presence map, then the global directory. */
  async locate(username: string): Promise<Whereabouts> {
    return this.locateKnown(username) ?? this.locateInDirectory(username);
  }

  private locateKnown(username: string): Whereabouts {
    const here = this.deps.local.get(username);
    if (here) return { nodeId: this.deps.cluster.nodeId, loginAt: here.loginAt, sid: here.sid };
    const known = this.deps.presence.get(username);
    if (known && known.nodeId !== this.deps.cluster.nodeId && this.deps.cluster.isLive(known.nodeId))
      return known;
    return null;
  }

  /**
   * A global session counts only when its node is alive (crashed nodes cannot
   * clean up) and this node has not heard that node's sessions yet (it would
   * have the user in presence otherwise: a login still being announced).
   */
  private async locateInDirectory(username: string): Promise<Whereabouts> {
    const { cluster } = this.deps;
    const session = await this.deps.directory.get(username);
    if (!session || session.nodeId === cluster.nodeId || !cluster.isLive(session.nodeId)) return null;
    if (this.deps.knowsSessionsOf(session.nodeId) && this.deps.presence.nodeOf(username) !== session.nodeId)
      return null;
    return session;
  }
}
