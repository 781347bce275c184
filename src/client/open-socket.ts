import WebSocket from 'ws';
import type { RawData } from 'ws';
import type { ServerFrame } from '../../gen/chat/v1/client';
import { decodeServerFrame, decodeServerFrameJson } from '../protocol/codec';
import { SUBPROTOCOL_BINARY, SUBPROTOCOL_JSON } from '../protocol/close-codes';
import { ChatClientError } from './client-error';
import type { ChatClientOptions } from './client-types';

/** Opens a WebSocket to a chat node; rejects with CONNECT_FAILED naming the URL. */
export function openSocket(url: string, options: ChatClientOptions): Promise<WebSocket> {
  const json = options.json ?? false;
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const socket = new WebSocket(url, [json ? SUBPROTOCOL_JSON : SUBPROTOCOL_BINARY], {
    perMessageDeflate: false,
    maxPayload: 8 * 1024 * 1024,
    handshakeTimeout: timeoutMs,
    localAddress: options.localAddress,
  });
  return new Promise((resolve, reject) => {
    const detach = (): void => {
      socket.off('open', onOpen);
      socket.off('error', onError);
      socket.off('unexpected-response', onResponse);
    };
    const fail = (detail: string): void => {
      detach();
      socket.on('error', () => undefined);
      socket.terminate();
      reject(new ChatClientError(0, 'CONNECT_FAILED', `Cannot connect to ${url}: ${detail}`));
    };
    const onOpen = (): void => {
      detach();
      resolve(socket);
    };
    const onError = (err: Error): void => fail(err.message);
    const onResponse = (_req: unknown, res: { statusCode?: number }): void =>
      fail(`HTTP ${res.statusCode ?? '?'} instead of a WebSocket upgrade`);
    socket.on('open', onOpen);
    socket.on('error', onError);
    socket.on('unexpected-response', onResponse);
  });
}

/** A frame from the server, or the error that says why it cannot be read. */
export function decodeFrame(data: RawData, isBinary: boolean): ServerFrame | ChatClientError {
  try {
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    return isBinary ? decodeServerFrame(bytes) : decodeServerFrameJson(bytes.toString('utf8'));
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return new ChatClientError(0, 'MALFORMED_FRAME', `Unreadable frame from the server: ${detail}`);
  }
}
