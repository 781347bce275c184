import { BinaryWriter } from '@bufbuild/protobuf/wire';
import {
  FrameWriter,
  decodeClientFrame,
  decodeClientFrameJson,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  encodeServerFrameJson,
} from '../../src/protocol/codec';
import { MalformedFrame } from '../../src/core/errors';
import { MessageKind, ServerFrame } from '../../gen/chat/v1/client';

describe('client frame codec', () => {
  it('round-trips a command with its request id', () => {
    const bytes = encodeClientFrame({
      id: 7,
      cmd: { $case: 'sendDirect', value: { to: 'bob', text: 'hi 你好', idempotencyKey: '' } },
    });
    const frame = decodeClientFrame(bytes);
    expect(frame.id).toBe(7);
    expect(frame.cmd).toEqual({
      $case: 'sendDirect',
      value: { to: 'bob', text: 'hi 你好', idempotencyKey: '' },
    });
  });

  it('rejects garbage bytes with a typed error', () => {
    const garbage = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => decodeClientFrame(garbage)).toThrow(MalformedFrame);
  });

  it('rejects a truncated frame with a typed error', () => {
    const bytes = encodeClientFrame({
      id: 1,
      cmd: { $case: 'login', value: { username: 'alice', password: 'secret', resumeToken: '' } },
    });
    expect(() => decodeClientFrame(bytes.subarray(0, bytes.length - 3))).toThrow(MalformedFrame);
  });

  it('rejects a frame whose oneof case this server does not know', () => {
    // Field 99 is not a command: the frame decodes to "no command".
    const unknown = new BinaryWriter()
      .uint32(8)
      .uint32(5)
      .uint32((99 << 3) | 2)
      .bytes(Uint8Array.from([1, 2]))
      .finish();
    expect(() => decodeClientFrame(unknown)).toThrow(MalformedFrame);
    expect(() => decodeClientFrame(unknown)).toThrow(/no command/);
  });

  it('rejects an empty frame', () => {
    expect(() => decodeClientFrame(new Uint8Array())).toThrow(MalformedFrame);
  });

  it('gives every malformed frame code 400 and reason MALFORMED_FRAME', () => {
    try {
      decodeClientFrame(Uint8Array.from([0x0a, 0x05, 0x01]));
      throw new Error('expected a failure');
    } catch (err) {
      expect(err).toBeInstanceOf(MalformedFrame);
      expect(err).toMatchObject({ code: 400, reason: 'MALFORMED_FRAME' });
    }
  });
});

describe('server frame codec', () => {
  it('round-trips a reply and an error', () => {
    const bytes = encodeServerFrame({
      replyTo: 3,
      event: {
        $case: 'error',
        value: { code: 404, reason: 'NOT_FOUND', message: 'no such user', retryAfterMs: 0 },
      },
    });
    expect(decodeServerFrame(bytes)).toEqual({
      replyTo: 3,
      event: {
        $case: 'error',
        value: { code: 404, reason: 'NOT_FOUND', message: 'no such user', retryAfterMs: 0 },
      },
    });
  });
});

describe('JSON text subprotocol', () => {
  it('decodes a JSON command', () => {
    const frame = decodeClientFrameJson(JSON.stringify({ id: 2, ping: { clientTs: 5 } }));
    expect(frame).toEqual({ id: 2, cmd: { $case: 'ping', value: { clientTs: 5 } } });
  });

  it.each([['not json'], ['[1,2]'], ['null'], ['{"id":1}'], ['{"id":1,"bogus":{}}']])(
    'rejects %s with a typed error',
    (text) => {
      expect(() => decodeClientFrameJson(text)).toThrow(MalformedFrame);
    },
  );

  it('encodes a server frame as JSON', () => {
    const text = encodeServerFrameJson({
      replyTo: 1,
      event: { $case: 'pong', value: { clientTs: 1, serverTs: 2 } },
    });
    expect(JSON.parse(text)).toEqual({ replyTo: 1, pong: { clientTs: 1, serverTs: 2 } });
  });
});

describe('the shared writer', () => {
  const push = (text: string, seq: number): ServerFrame => ({
    replyTo: 0,
    event: {
      $case: 'message',
      value: {
        id: `id-${seq}`,
        kind: MessageKind.MESSAGE_KIND_DIRECT,
        conversation: 'dm:amy|bob',
        seq,
        from: 'amy',
        to: 'bob',
        text,
        ts: 1_700_000_000_000 + seq,
      },
    },
  });
  const fresh = (frame: ServerFrame): Uint8Array => ServerFrame.encode(frame, new BinaryWriter()).finish();

  it('encodes each frame as a fresh writer would, whatever came before it', () => {
    const frames = [push('hi', 1), push('x'.repeat(5000), 2), push('短い 🐉', 3), push('', 4)];
    const encoded = frames.map((f) => encodeServerFrame(f));
    expect(encoded.map((b) => Buffer.from(b).toString('hex'))).toEqual(
      frames.map((f) => Buffer.from(fresh(f)).toString('hex')),
    );
    // Each result owns its bytes: a later encode does not change an earlier one.
    expect(decodeServerFrame(encoded[0]!).event).toEqual(push('hi', 1).event);
  });

  it('writes every uint64 a number can hold as the library writer does', () => {
    const values = [
      0,
      1,
      127,
      128,
      16_383,
      16_384,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 35 + 12_345,
      1_764_633_600_123,
      2 ** 49 - 1,
      2 ** 49,
      Number.MAX_SAFE_INTEGER,
    ];
    for (const ts of values) {
      const frame = push('t', 1);
      if (frame.event?.$case === 'message') frame.event.value.ts = ts;
      const bytes = encodeServerFrame(frame);
      expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(fresh(frame)).toString('hex'));
      const decoded = decodeServerFrame(bytes).event;
      expect(decoded?.$case === 'message' && decoded.value.ts).toBe(ts);
    }
    // What is not a safe non-negative integer goes to the library, which refuses it.
    for (const bad of [-1, 1.5, 2 ** 64]) {
      const frame = push('t', 1);
      if (frame.event?.$case === 'message') frame.event.value.ts = bad;
      expect(() => encodeServerFrame(frame)).toThrow();
    }
    expect(Buffer.from(new FrameWriter().uint64('18446744073709551615').finish()).toString('hex')).toBe(
      Buffer.from(new BinaryWriter().uint64('18446744073709551615').finish()).toString('hex'),
    );
  });

  it('returns frames that stay as they were while the writer goes on', () => {
    const first = encodeServerFrame(push('first', 1));
    const copy = Buffer.from(first);
    for (let i = 0; i < 100; i++) encodeServerFrame(push(`later ${i}`, i));
    expect(Buffer.isBuffer(first)).toBe(true);
    expect(Buffer.compare(first, copy)).toBe(0);
  });

  it('encodes correctly again after an encode that failed halfway through a nested message', () => {
    const broken = push('before the bad field', 5);
    if (broken.event?.$case === 'message') broken.event.value.seq = Number.NaN;
    expect(() => encodeServerFrame(broken)).toThrow();
    const next = push('after', 6);
    expect(Buffer.from(encodeServerFrame(next)).toString('hex')).toBe(
      Buffer.from(fresh(next)).toString('hex'),
    );
  });
});
