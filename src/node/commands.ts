import type { ClusterPort } from '../chat/cluster-port';
import type { DirectChat } from '../chat/direct';
import type { HistoryService } from '../chat/history';
import type { HotWords } from '../chat/ports';
import type { SessionService } from '../chat/sessions';
import type { Actor, LeaderCall, LeaderOpName, LeaderResultOf, SessionPeer } from '../chat/types';
import type { UserInfoService } from '../chat/user-info';
import { MalformedFrame, Unauthenticated, Unavailable } from '../core/errors';
import type { Logger } from '../core/logger';
import { CloseCode } from '../protocol/close-codes';
import { ackToWire, channelFromWire, messageToWire, roomToWire } from '../protocol/mappers';
import type { ClientConnection, CommandContext, CommandHandlers, CommandResult } from '../ws';
import { conversation } from '../core/names';
import type { HookRunner } from '../plugins/hook-runner';
import type { MessageKind } from '../store/types';

export interface CommandServices {
  /** Plugins' before hooks run here, on the node the command entered. */
  hooks: Pick<HookRunner, 'hasBeforeMessage' | 'hasBeforeJoin' | 'beforeMessage' | 'beforeJoin'>;
  sessions: SessionService;
  direct: DirectChat;
  history: HistoryService;
  userInfo: UserInfoService;
  hotWords: HotWords;
  cluster: ClusterPort;
  defaultPopular: number;
  defaultHistory: number;
  logger: Logger;
  /** False until the node is registered in the cluster: a login before that could not be found by others. */
  joined: () => boolean;
}

/** The client commands, each a thin translation between frames and chat services. */
export function commandHandlers(s: CommandServices): CommandHandlers {
  /**
   * Runs the plugins' beforeMessage hooks; returns the text to send (a plugin may
   * rewrite or reject it). Callers skip it when no plugin has such a hook: every
   * message takes this path, and a promise per message adds up.
   */
  const screen = async (
    ctx: CommandContext,
    kind: MessageKind,
    to: string,
    text: string,
  ): Promise<string> => {
    const sender = senderOf(ctx);
    const key =
      kind === 'direct'
        ? conversation.direct(sender.username, to)
        : kind === 'room'
          ? conversation.room(to)
          : kind === 'alliance'
            ? conversation.alliance(to)
            : conversation.world();
    const draft = await s.hooks.beforeMessage(
      { kind, conversation: key, from: sender.username, to, text },
      sender,
    );
    return draft.text;
  };
  /**
   * Hands the call to the node that runs the room (in process, or queued on
   * the ordered link to it) and lets the connection's next command start: that
   * node takes calls in the order they were handed over.
   */
  const leader = <K extends LeaderOpName>(
    ctx: CommandContext,
    call: LeaderCall<K>,
  ): Promise<LeaderResultOf<K>> => {
    const answer = s.cluster.askOwner(actorOf(ctx), call);
    ctx.release();
    return answer;
  };
  /** Reads need no turn: the next command may start at once. */
  const read = (ctx: CommandContext): void => ctx.release();
  return {
    login: async (ctx, login) => {
      const conn = ctx.conn;
      if (conn.user) throw new MalformedFrame('This connection is already logged in.');
      if (!s.joined())
        throw new Unavailable(
          'This node is still joining the cluster; try again in a moment.',
          'NODE_STARTING',
        );
      const result = await s.sessions.login(login, conn.remoteAddress, peerOf(conn));
      const { username, sid } = result.session;
      conn.user = { username, alliance: result.user.alliance, sid, createdAt: result.user.createdAt };
      // Holds nothing of the login command itself (its frame carries the password).
      const log = s.logger;
      conn.onClose(() => {
        s.sessions
          .disconnected(username, sid)
          .catch((err: unknown) =>
            log.warn({ event: 'logout_failed', user: username, err }, 'logout failed'),
          );
      });
      return {
        $case: 'loginOk',
        value: {
          user: { username, alliance: result.user.alliance, createdAt: result.user.createdAt },
          nodeId: s.cluster.nodeId,
          resumeToken: result.resumeToken,
          resumeTokenExpiresAt: result.resumeTokenExpiresAt,
          missed: result.missed,
        },
      };
    },
    logout: async (ctx) => {
      const user = ctx.conn.user;
      if (!user) throw new Unauthenticated();
      // Nothing this connection still has in flight acts as the user any more.
      ctx.conn.user = undefined;
      let failure: unknown;
      await s.sessions.logout(user.username, user.sid).catch((err: unknown) => (failure = err));
      // The reply first: once closing, the connection sends nothing more. Whatever the logout
      // could not finish, the close handler's cleanup tries again.
      if (failure === undefined) ctx.conn.reply(ctx.requestId, { $case: 'loggedOut', value: {} });
      else ctx.conn.error(ctx.requestId, failure);
      ctx.conn.close(CloseCode.NORMAL, 'Logged out.');
      return undefined;
    },
    ping: async (ctx, ping) => {
      read(ctx);
      return { $case: 'pong', value: { clientTs: ping.clientTs, serverTs: Date.now() } };
    },
    // Not async: the DM path is the busiest, and each async layer is a promise per message.
    sendDirect: (ctx, cmd) => {
      const actor = actorOf(ctx);
      const send = (text: string): Promise<CommandResult> =>
        s.direct
          .send(actor, cmd.to, text, cmd.idempotencyKey, ctx.release)
          .then((ack) => ({ $case: 'sendAck', value: ackToWire(ack) }));
      return s.hooks.hasBeforeMessage ? screen(ctx, 'direct', cmd.to, cmd.text).then(send) : send(cmd.text);
    },
    sendRoom: async (ctx, cmd) => {
      const text = s.hooks.hasBeforeMessage ? await screen(ctx, 'room', cmd.room, cmd.text) : cmd.text;
      const ack = await leader(ctx, {
        op: 'sendRoom',
        room: cmd.room,
        text,
        idempotencyKey: cmd.idempotencyKey,
      });
      return { $case: 'sendAck', value: ackToWire(ack) };
    },
    sendChannel: async (ctx, cmd) => {
      const channel = channelFromWire(cmd.channel);
      const to = channel === 'world' ? 'world' : senderOf(ctx).alliance;
      const text = s.hooks.hasBeforeMessage ? await screen(ctx, channel, to, cmd.text) : cmd.text;
      const ack = await leader(ctx, { op: 'sendChannel', channel, text, idempotencyKey: cmd.idempotencyKey });
      return { $case: 'sendAck', value: ackToWire(ack) };
    },
    createRoom: async (ctx, cmd) => ({
      $case: 'roomCreated',
      value: roomToWire(await leader(ctx, { op: 'createRoom', room: cmd.room })),
    }),
    leaveRoom: async (ctx, cmd) => ({
      $case: 'roomLeft',
      value: roomToWire(await leader(ctx, { op: 'leaveRoom', room: cmd.room })),
    }),
    joinRoom: async (ctx, cmd) => {
      if (s.hooks.hasBeforeJoin) await s.hooks.beforeJoin({ room: cmd.room, user: senderOf(ctx) });
      const joined = await leader(ctx, { op: 'joinRoom', room: cmd.room });
      return {
        $case: 'roomJoined',
        value: { room: roomToWire(joined.room), recent: joined.recent.map(messageToWire) },
      };
    },
    listRooms: async (ctx) => {
      const rooms = await leader(ctx, { op: 'listRooms' });
      return { $case: 'roomList', value: { rooms: rooms.map(roomToWire) } };
    },
    getUserInfo: async (ctx, cmd) => {
      read(ctx);
      return { $case: 'userInfo', value: await s.userInfo.get(cmd.username) };
    },
    getPopular: async (ctx, cmd) => {
      read(ctx);
      return { $case: 'popular', value: { words: await s.hotWords.top(cmd.limit || s.defaultPopular) } };
    },
    getHistory: async (ctx, cmd) => {
      read(ctx);
      if (!cmd.target) throw new MalformedFrame('Name a room or a peer whose history to read.');
      const target = cmd.target.$case === 'room' ? { room: cmd.target.value } : { peer: cmd.target.value };
      const page = await s.history.page(actorOf(ctx), target, cmd.limit || s.defaultHistory, cmd.cursor);
      return { $case: 'history', value: { ...page, messages: page.messages.map(messageToWire) } };
    },
    sync: async (ctx, cmd) => {
      read(ctx);
      const caughtUp = await s.history.sync(actorOf(ctx), cmd.positions, cmd.limit || s.defaultHistory);
      return {
        $case: 'sync',
        value: { conversations: caughtUp.map((c) => ({ ...c, messages: c.messages.map(messageToWire) })) },
      };
    },
  };
}

function senderOf(ctx: CommandContext): { username: string; alliance: string; createdAt: number } {
  const user = ctx.conn.user;
  if (!user) throw new Unauthenticated();
  return { username: user.username, alliance: user.alliance, createdAt: user.createdAt };
}

function actorOf(ctx: CommandContext): Actor {
  const user = ctx.conn.user;
  // The auth gate runs first; this only guards against a wiring mistake.
  if (!user) throw new Unauthenticated();
  return { username: user.username, alliance: user.alliance };
}

/** How the chat domain reaches one client connection. */
export function peerOf(conn: ClientConnection): SessionPeer {
  return {
    push: (push) => {
      conn.sendEncoded(push);
    },
    kick: (reason, why = 'replaced') => {
      conn.send({ replyTo: 0, event: { $case: 'kicked', value: { reason } } });
      conn.close(why === 'removed' ? CloseCode.KICKED : CloseCode.REPLACED, reason);
    },
    hint: (hint) => {
      conn.send({ replyTo: 0, event: { $case: 'syncHint', value: hint } });
    },
  };
}
