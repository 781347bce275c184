import { SeenLog } from '../../src/client/recovery/seen-log';

const ref = (
  id: string,
  seq: number,
  conversation = 'room:x',
): { id: string; conversation: string; seq: number } => ({
  id,
  conversation,
  seq,
});

describe('SeenLog', () => {
  it('shows each message once, by id and by seq', () => {
    const seen = new SeenLog(2);
    expect(seen.accept(ref('a', 1))).toBe(true);
    expect(seen.accept(ref('a', 1))).toBe(false);
    // The same seq under another id was accounted for already.
    expect(seen.accept(ref('z', 1))).toBe(false);
    expect(seen.accept(ref('b', 2))).toBe(true);
    expect(seen.accept(ref('c', 9, 'world'))).toBe(true);
    // Capacity 2: id 'a' is forgotten, but seq 1 of room:x is still accounted for.
    expect(seen.accept(ref('a', 1))).toBe(false);
  });

  it('keeps the seq up to which everything was seen, and reports the hole a later seq reveals', () => {
    const seen = new SeenLog();
    seen.accept(ref('a', 1));
    seen.accept(ref('b', 2));
    expect(seen.gapBefore(ref('c', 3))).toBeUndefined();
    expect(seen.gapBefore(ref('e', 5))).toEqual({ conversation: 'room:x', afterSeq: 2, fresh: false });
    seen.accept(ref('e', 5));
    expect(seen.markOf('room:x')).toBe(2);
    expect(seen.seqOf('room:x')).toBe(5);
    expect(seen.hasHole('room:x')).toBe(true);
    expect(seen.positions()).toEqual([{ conversation: 'room:x', afterSeq: 2 }]);
    seen.accept(ref('c', 3));
    seen.accept(ref('d', 4));
    expect(seen.markOf('room:x')).toBe(5);
    expect(seen.hasHole('room:x')).toBe(false);
  });

  it('treats the first message of a new conversation past seq 1 as a hole from 0', () => {
    const seen = new SeenLog();
    expect(seen.gapBefore(ref('a', 1, 'dm:a|b'))).toBeUndefined();
    expect(seen.gapBefore(ref('a', 4, 'dm:a|c'))).toEqual({
      conversation: 'dm:a|c',
      afterSeq: 0,
      fresh: true,
    });
  });

  it('settles what the store cannot fill, and forgets a conversation', () => {
    const seen = new SeenLog();
    seen.accept(ref('a', 1));
    seen.accept(ref('d', 4));
    seen.settle('room:x', 3);
    expect(seen.markOf('room:x')).toBe(4);
    seen.forget('room:x');
    expect(seen.known('room:x')).toBe(false);
    expect(seen.positions()).toEqual([]);
  });

  it('resolves a wait once the hole below a seq is filled, or false at its deadline', async () => {
    const seen = new SeenLog();
    seen.accept(ref('a', 1));
    const filled = seen.waitFilled('room:x', 3, 5000);
    seen.accept(ref('b', 2));
    await expect(filled).resolves.toBe(true);
    await expect(seen.waitFilled('room:x', 5, 10)).resolves.toBe(false);
  });
});
