/**
 * The part of a `ws` WebSocket that a ClientConnection uses. The `ws` server
 * hands out real ones; src/ws/memory-socket.ts makes in-process pairs so a
 * whole cluster can run in one process without sockets.
 */
export interface ClientSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  send(data: Uint8Array | string): void;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'pong', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}
