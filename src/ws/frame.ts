/** RFC 6455 opcodes of the data frames the node sends. */
const TEXT = 0x1;
const BINARY = 0x2;
const FIN = 0x80;

/**
 * One complete, unmasked WebSocket data frame (server to client), header and
 * payload in a single buffer: a push shared by many recipients is framed once
 * and the same buffer is written to each socket, instead of ws framing it
 * again per recipient (and handing the kernel two buffers each time).
 */
export function dataFrame(payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const length = body.byteLength;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = FIN | (typeof payload === 'string' ? TEXT : BINARY);
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.set(body, headerLength);
  return frame;
}
