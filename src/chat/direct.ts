import { NotFound } from '../core/errors';
import { conversation } from '../core/names';
import type { UserStore } from '../store/types';
import type { ClusterPort } from './cluster-port';
import type { LocalSessions } from './local-sessions';
import type { SessionDirectory } from './ports';
import type { MessageRecorder } from './recorder';
import type { Actor, SendAck } from './types';

export interface DirectChatDeps {
  users: UserStore;
  directory: SessionDirectory;
  local: LocalSessions;
  cluster: ClusterPort;
  recorder: MessageRecorder;
}

/** Where a user can be reached right now, or null when offline. */
export type Whereabouts = { nodeId: string; loginAt: number; sid: string } | null;

/**
 * Direct messages: the ingress node records the message once, then delivers it
 * locally or hands it to the recipient's node (through the leader).
 */
export class DirectChat {
  constructor(private readonly deps: DirectChatDeps) {}

  async send(sender: Actor, to: string, text: string, idempotencyKey = ''): Promise<SendAck> {
    const where = await this.locate(to);
    if (!where && !(await this.deps.users.find(to)))
      throw new NotFound(`There is no user named ${to}.`, 'UNKNOWN_USER');
    const { message } = await this.deps.recorder.record({
      kind: 'direct',
      conversation: conversation.direct(sender.username, to),
      from: sender.username,
      to,
      text,
      idempotencyKey,
    });
    if (!where) {
      throw new NotFound(
        `${to} is offline. The message was stored (seq ${message.seq}) and reaches them when they next sync.`,
        'USER_OFFLINE',
      );
    }
    const delivered =
      where.nodeId === this.deps.cluster.nodeId
        ? this.deps.local.deliver(message, [to]) > 0
        : this.deps.cluster.deliverTo(where.nodeId, { message, recipients: [to], broadcast: false });
    return {
      id: message.id,
      conversation: message.conversation,
      seq: message.seq,
      ts: message.ts,
      delivered,
    };
  }

  /** A global session only counts when its node is alive (crashed nodes cannot clean up). */
  async locate(username: string): Promise<Whereabouts> {
    const { cluster, local } = this.deps;
    const here = local.get(username);
    if (here) return { nodeId: cluster.nodeId, loginAt: here.loginAt, sid: here.sid };
    const session = await this.deps.directory.get(username);
    if (!session || session.nodeId === cluster.nodeId || !cluster.isLive(session.nodeId)) return null;
    return session;
  }
}
