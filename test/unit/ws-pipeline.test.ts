import type { ClientFrame } from '../../gen/chat/v1/client';
import { ChatError } from '../../src/core/errors';
import { encodeClientFrame, encodeClientFrameJson } from '../../src/protocol/codec';
import { UNKNOWN_COMMAND } from '../../src/ws/context';
import { decodeFrame } from '../../src/ws/pipeline';
import { CommandQueue } from '../../src/ws/command-queue';

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

describe('CommandQueue', () => {
  it('runs tasks one at a time in order when none releases its turn early', async () => {
    const errors: unknown[] = [];
    const queue = new CommandQueue(10, 4, (e) => errors.push(e));
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
    const queue = new CommandQueue(2, 1, (e) => errors.push(e));
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

  it('overlaps tasks that release their turn, up to the in-flight bound, starting them in order', async () => {
    const queue = new CommandQueue(10, 3, () => undefined);
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const finish: Array<() => void> = [];
    const all: Array<Promise<void>> = [];
    for (let i = 0; i < 6; i++) {
      all.push(
        new Promise<void>((done) => {
          queue.push(async (release) => {
            started.push(i);
            running++;
            peak = Math.max(peak, running);
            release();
            await new Promise<void>((r) => finish.push(r));
            running--;
            done();
          });
        }),
      );
    }
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    expect(queue.size).toBe(6);
    while (finish.length > 0) {
      finish.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(3);
  });

  it('holds later tasks until an earlier one releases or ends', async () => {
    const queue = new CommandQueue(10, 5, () => undefined);
    const trail: string[] = [];
    let releaseFirst: () => void = () => undefined;
    let endFirst: () => void = () => undefined;
    queue.push(async (release) => {
      trail.push('first starts');
      releaseFirst = release;
      await new Promise<void>((r) => (endFirst = r));
      trail.push('first ends');
    });
    const second = new Promise<void>((done) =>
      queue.push(async () => {
        trail.push('second starts');
        done();
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(trail).toEqual(['first starts']);
    releaseFirst();
    await second;
    expect(trail).toEqual(['first starts', 'second starts']);
    endFirst();
  });

  it('starts a task from a microtask, not inside push', async () => {
    const queue = new CommandQueue(10, 2, () => undefined);
    const trail: string[] = [];
    queue.push(async () => {
      trail.push('task');
    });
    trail.push('after push');
    await queue.idle();
    expect(trail).toEqual(['after push', 'task']);
  });

  it('on close, drops the tasks still waiting for their turn and lets the running one finish', async () => {
    const queue = new CommandQueue(10, 4, () => undefined);
    const trail: string[] = [];
    let endFirst: () => void = () => undefined;
    queue.push(async () => {
      trail.push('first starts');
      await new Promise<void>((r) => (endFirst = r));
      trail.push('first ends');
    });
    queue.push(async () => {
      trail.push('second starts');
    });
    await new Promise((r) => setImmediate(r));
    queue.close();
    endFirst();
    await new Promise((r) => setImmediate(r));
    expect(trail).toEqual(['first starts', 'first ends']);
    expect(queue.size).toBe(0);
    await expect(queue.idle()).resolves.toBeUndefined();
  });
});
