import type { RawData } from 'ws';
import { Channel } from '../../gen/chat/v1/client';
import type { ChatMessage, ClientFrame, Kicked, ServerFrame, SyncHint } from '../../gen/chat/v1/client';
import type { ChatClientError } from './client-error';

export type ClientCommand = NonNullable<ClientFrame['cmd']>;
export type ServerEvent = NonNullable<ServerFrame['event']>;
export type EventOf<K extends ServerEvent['$case']> = Extract<ServerEvent, { $case: K }>['value'];

export interface ChatClientOptions {
  /** Speak the chat.v1.json text subprotocol instead of binary protobuf. */
  json?: boolean;
  /** Default time to wait for a reply; 10 s. */
  requestTimeoutMs?: number;
  /** Time to wait for the WebSocket to open; 10 s. */
  connectTimeoutMs?: number;
  /** Received messages kept for waitForMessage; 1000. */
  inboxSize?: number;
  /** Local address to connect from (e.g. another loopback address in tests of per-address limits). */
  localAddress?: string;
}

export interface ChatClientEvents {
  /** A chat message pushed by the server. */
  message: [ChatMessage];
  /** The server says messages may have missed this client: sync what it lists. */
  syncHint: [SyncHint];
  /** The server removed this login (e.g. a newer login elsewhere); a close follows. */
  kicked: [Kicked];
  close: [code: number, reason: string];
  /** An Error the server sent without a request id (e.g. an undecodable frame). */
  serverError: [ChatClientError];
}

/** What a ChatClient needs of its socket: a `ws` WebSocket, or an in-process MemorySocket. */
export interface ClientSideSocket {
  readonly readyState: number;
  send(data: Uint8Array | string, options?: { binary?: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export type ChannelName = 'world' | 'alliance';
export type HistoryTarget = { room: string } | { peer: string };

export function channelOf(channel: ChannelName | Channel): Channel {
  if (channel === 'world') return Channel.CHANNEL_WORLD;
  if (channel === 'alliance') return Channel.CHANNEL_ALLIANCE;
  return channel;
}

export function historyTargetOf(
  target: HistoryTarget,
): { $case: 'room'; value: string } | { $case: 'peer'; value: string } {
  return 'room' in target ? { $case: 'room', value: target.room } : { $case: 'peer', value: target.peer };
}
