/**
 * What the Socket.IO baseline and its load clients exchange, the way a game
 * team would write it: the handshake names the user and its groups, a send is
 * `emit('send', { to, text }, ack)` where `to` is a user (everyone joins a room
 * named after themselves) or a group, and every recipient gets
 * `emit('msg', text)`.
 */
export const SOCKETIO_EVENTS = { send: 'send', message: 'msg' } as const;

export interface SocketIoSend {
  to: string;
  text: string;
}

export interface SocketIoAuth {
  user: string;
  groups: string[];
}

/** Undefined for a handshake that does not name a user. */
export function parseSocketIoAuth(raw: unknown): SocketIoAuth | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { user, groups } = raw as { user?: unknown; groups?: unknown };
  if (typeof user !== 'string' || user === '') return undefined;
  const list = Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [];
  return { user, groups: list };
}
