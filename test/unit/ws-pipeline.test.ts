import type { ClientFrame } from '../../gen/chat/v1/client';
import { ChatError } from '../../src/core/errors';
import { encodeClientFrame, encodeClientFrameJson } from '../../src/protocol/codec';
import { UNKNOWN_COMMAND } from '../../src/ws/context';
import { decodeFrame } from '../../src/ws/pipeline';
import { BoundedSerialQueue } from '../../src/ws/serial-queue';

function reasonOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof ChatError ? `${err.code} ${err.reason}` : 'other';
  }
}

describe('decodeFrame', () => {
  const ping: ClientFrame = { id: 3, cmd: { $case: 'ping', value: { clientTs: 9 } } };

  it('decodes binary frames as protobuf and text frames as JSON', () => {
    expect(decodeFrame(Buffer.from(encodeClientFrame(ping)), true)).toEqual(ping);
    expect(decodeFrame(Buffer.from(encodeClientFrameJson(ping)), false)).toEqual(ping);
    expect(decodeFrame([Buffer.from(encodeClientFrame(ping))], true)).toEqual(ping);
  });

  it('rejects garbage, truncation and empty frames as MALFORMED_FRAME', () => {
    const bytes = encodeClientFrame({
      id: 3,
      cmd: { $case: 'sendDirect', value: { to: 'bob', text: 'hello', idempotencyKey: '' } },
    });
    expect(reasonOf(() => decodeFrame(Buffer.from(bytes.subarray(0, bytes.length - 2)), true))).toBe(
      '400 MALFORMED_FRAME',
    );
    expect(reasonOf(() => decodeFrame(Buffer.from([0xff, 0xff, 0xff]), true))).toBe('400 MALFORMED_FRAME');
    expect(reasonOf(() => decodeFrame(Buffer.alloc(0), true))).toBe('400 MALFORMED_FRAME');
    expect(reasonOf(() => decodeFrame(Buffer.from('[1,2]'), false))).toBe('400 MALFORMED_FRAME');
    expect(reasonOf(() => decodeFrame(Buffer.from('{"ping":{}}'), false))).toBe('ok');
  });

  it('keeps the id of a well-formed frame with an unknown command', () => {
    // id = 7, then field 99 (length-delimited, empty).
    const frame = decodeFrame(Buffer.from([0x08, 0x07, 0x9a, 0x06, 0x00]), true);
    expect(frame.id).toBe(7);
    expect(frame.cmd).toBeUndefined();
    expect(decodeFrame(Buffer.from('{"id":8,"teleport":{}}'), false).id).toBe(8);
    expect(UNKNOWN_COMMAND).toBe('(unknown)');
  });
});

describe('BoundedSerialQueue', () => {
  it('runs tasks one at a time in order', async () => {
    const errors: unknown[] = [];
    const queue = new BoundedSerialQueue(10, (e) => errors.push(e));
    const trail: string[] = [];
    let running = 0;
    const done = new Promise<void>((resolve) => {
      for (let i = 0; i < 5; i++) {
        queue.push(async () => {
          running++;
          expect(running).toBe(1);
          trail.push(`start ${i}`);
          await new Promise((r) => setImmediate(r));
          trail.push(`end ${i}`);
          running--;
          if (i === 4) resolve();
        });
      }
    });
    await done;
    expect(trail).toEqual([0, 1, 2, 3, 4].flatMap((i) => [`start ${i}`, `end ${i}`]));
    expect(errors).toEqual([]);
  });

  it('refuses past the bound, counts the running task, and goes on after a failure', async () => {
    const errors: unknown[] = [];
    const queue = new BoundedSerialQueue(2, (e) => errors.push(e));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    expect(queue.push(() => gate.then(() => Promise.reject(new Error('boom'))))).toBe('queued');
    const second = new Promise<void>((resolve) => expect(queue.push(async () => resolve())).toBe('queued'));
    expect(queue.push(async () => undefined)).toBe('full');
    expect(queue.size).toBe(2);
    release();
    await second;
    expect(errors).toHaveLength(1);
    queue.close();
    expect(queue.push(async () => undefined)).toBe('closed');
  });
});
