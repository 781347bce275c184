import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { ClientFrame, ServerFrame } from '../../gen/chat/v1/client';
import { MalformedFrame } from '../core/errors';
import { checkClientFrameJson } from './json-shape';

/**
 * Thin codecs between WebSocket payloads and frames. Everything a client
 * sends is untrusted: any decoding failure becomes a MalformedFrame, never an
 * exception of another type that could take the connection's node down.
 */

export function decodeClientFrame(bytes: Uint8Array): ClientFrame {
  const frame = decodeWith(() => ClientFrame.decode(bytes), bytes.length);
  if (frame.cmd === undefined) throw new MalformedFrame('The frame carries no command this server knows.');
  return frame;
}

/** The writer's state, which its TypeScript declaration keeps private. */
interface WriterState {
  buffer: Uint8Array;
  pos: number;
  stackPos: number[];
  /** Writes the varint of the 64-bit value high:low (each word unsigned). */
  writeVarint64(low: number, high: number): unknown;
}

/**
 * The generated encoders' writer with two costs taken out, each about half
 * of what a small frame's encode cost:
 * - `finish` copies the frame into Node's pooled buffer memory instead of
 *   slicing the writer's buffer, which gives every frame a backing store of
 *   its own (allocated outside the heap and tracked by the GC);
 * - `uint64` writes a number (what the generated code passes for
 *   timestamps and sequence numbers) without the round trip through a
 *   BigInt and an object that the library makes for each one.
 */
export class FrameWriter extends BinaryWriter {
  override uint64(value: string | number | bigint): this {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return super.uint64(value);
    if (value <= 0xffffffff) return this.uint32(value);
    (this as unknown as WriterState).writeVarint64(value >>> 0, Math.floor(value / 0x100000000));
    return this;
  }

  override finish(): Buffer<ArrayBuffer> {
    const state = this as unknown as WriterState;
    const frame = Buffer.allocUnsafe(state.pos);
    frame.set(state.buffer.subarray(0, state.pos));
    state.pos = 0;
    state.stackPos = [];
    return frame;
  }
}

/**
 * One writer for every frame this process encodes. A fresh writer per frame
 * starts at 128 bytes and grows by copying (a push of a 100-character text
 * grows once), which was most of what encoding cost; this one keeps its
 * buffer, so an encode allocates only the frame it returns. Encoding is
 * synchronous and calls nothing outside the encoder, so frames never
 * interleave in it.
 */
let writer = new FrameWriter();

/** Frames up to this size leave the writer's buffer as it is; a larger one gets a fresh writer after it. */
const KEEP_WRITER_BYTES = 64 * 1024;

export function encodeWithSharedWriter<T>(
  codec: { encode(message: T, writer: BinaryWriter): BinaryWriter },
  message: T,
): Buffer {
  let bytes: Buffer;
  try {
    codec.encode(message, writer);
    bytes = writer.finish();
  } catch (err) {
    // A failed encode leaves the writer midway (its position and open forks).
    writer = new FrameWriter();
    throw err;
  }
  if (bytes.byteLength > KEEP_WRITER_BYTES) writer = new FrameWriter();
  return bytes;
}

export function encodeClientFrame(frame: ClientFrame): Uint8Array {
  return encodeWithSharedWriter(ClientFrame, frame);
}

export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  const frame = decodeWith(() => ServerFrame.decode(bytes), bytes.length);
  if (frame.event === undefined) throw new MalformedFrame('The frame carries no event this client knows.');
  return frame;
}

export function encodeServerFrame(frame: ServerFrame): Uint8Array {
  return encodeWithSharedWriter(ServerFrame, frame);
}

/** The JSON text subprotocol, meant for debugging with generic WebSocket tools. */
export function decodeClientFrameJson(text: string): ClientFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedFrame('The text frame is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedFrame('The text frame must be a JSON object.');
  }
  checkClientFrameJson(parsed as Record<string, unknown>);
  const frame = decodeWith(() => ClientFrame.fromJSON(parsed), text.length);
  if (frame.cmd === undefined) throw new MalformedFrame('The frame carries no command this server knows.');
  return frame;
}

export function encodeServerFrameJson(frame: ServerFrame): string {
  return JSON.stringify(ServerFrame.toJSON(frame));
}

export function decodeServerFrameJson(text: string): ServerFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedFrame('The text frame is not valid JSON.');
  }
  return decodeWith(() => ServerFrame.fromJSON(parsed), text.length);
}

export function encodeClientFrameJson(frame: ClientFrame): string {
  return JSON.stringify(ClientFrame.toJSON(frame));
}

function decodeWith<T>(decode: () => T, size: number): T {
  try {
    return decode();
  } catch (err) {
    // The protobuf reader throws RangeError/Error on truncation and bad wire types.
    const detail = err instanceof Error ? err.message : String(err);
    throw new MalformedFrame(`The ${size}-byte frame could not be decoded (${detail}).`);
  }
}
