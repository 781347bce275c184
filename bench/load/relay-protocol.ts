/**
 * Frames of the baseline relay, the smallest protocol that can carry the same
 * load as the chat cluster:
 *
 *   client → relay  [u32 request id][u8 target kind][u8 target length][target][payload]
 *   relay → target  the same frame, unchanged (for a group: to every member)
 *   relay → sender  [u32 request id]  (the acknowledgement; 4 bytes, never a valid request)
 *
 * The payload is the encoded chat ClientFrame the cluster would get, so both
 * carry the same text in the same encoding.
 */
export const TARGET_USER = 0;
export const TARGET_GROUP = 1;
export const ACK_BYTES = 4;
const HEADER_BYTES = 6;

export interface RelayRequest {
  id: number;
  kind: number;
  target: string;
  payload: Buffer;
}

export function encodeRelayRequest(id: number, kind: number, target: string, payload: Uint8Array): Buffer {
  const name = Buffer.from(target, 'utf8');
  if (name.length > 255) throw new RangeError(`Relay target "${target}" is longer than 255 bytes.`);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + name.length + payload.length);
  frame.writeUInt32BE(id >>> 0, 0);
  frame.writeUInt8(kind, 4);
  frame.writeUInt8(name.length, 5);
  name.copy(frame, HEADER_BYTES);
  frame.set(payload, HEADER_BYTES + name.length);
  return frame;
}

/** Undefined for a frame too short to be a request. */
export function decodeRelayRequest(frame: Buffer): RelayRequest | undefined {
  if (frame.length < HEADER_BYTES) return undefined;
  const length = frame.readUInt8(5);
  if (frame.length < HEADER_BYTES + length) return undefined;
  return {
    id: frame.readUInt32BE(0),
    kind: frame.readUInt8(4),
    target: frame.toString('utf8', HEADER_BYTES, HEADER_BYTES + length),
    payload: frame.subarray(HEADER_BYTES + length),
  };
}

export function encodeAck(id: number): Buffer {
  const ack = Buffer.allocUnsafe(ACK_BYTES);
  ack.writeUInt32BE(id >>> 0, 0);
  return ack;
}
