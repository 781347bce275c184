/**
 * Just enough of ZooKeeper's wire format for a fault proxy to see which
 * request a client sends: every packet is a 4-byte big-endian length and a
 * body; after the connect handshake a request body starts with xid and
 * opcode (then, for path requests, the path), and a reply body with xid,
 * zxid and error code.
 */
export const ZkOp = {
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getChildren: 8,
  ping: 11,
  getChildren2: 12,
  multi: 14,
  create2: 15,
} as const;

export interface ZkRequest {
  xid: number;
  type: number;
  /** The request's path, for the opcodes that start with one. */
  path: string | undefined;
}

const PATH_OPS = new Set<number>([1, 2, 3, 4, 5, 8, 12, 15]);

/** Splits a byte stream into ZooKeeper packets (each returned with its length prefix). */
export class ZkPacketReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const packets: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readInt32BE(0);
      if (length < 0 || this.pending.length < 4 + length) break;
      packets.push(this.pending.subarray(0, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
    return packets;
  }
}

/** A request packet (not the first, connect, packet of a connection). */
export function parseRequest(packet: Buffer): ZkRequest | undefined {
  if (packet.length < 12) return undefined;
  const xid = packet.readInt32BE(4);
  const type = packet.readInt32BE(8);
  let path: string | undefined;
  if (PATH_OPS.has(type) && packet.length >= 16) {
    const length = packet.readInt32BE(12);
    if (length >= 0 && packet.length >= 16 + length) path = packet.toString('utf8', 16, 16 + length);
  }
  return { xid, type, path };
}

/** The xid a reply packet answers (-1 for a watch notification, -2 for a ping). */
export function replyXid(packet: Buffer): number | undefined {
  return packet.length >= 8 ? packet.readInt32BE(4) : undefined;
}
