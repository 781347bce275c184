import type { PeerFrame } from '../../gen/chat/v1/cluster';
import { emptyStats } from '../../src/cluster/rpc/counters';
import { FrameBatcher } from '../../src/cluster/rpc/frame-batcher';
import { silentLogger } from '../../src/core/logger';

/** Batching and backpressure of one peer queue, against a fake transport (no network needed). */

function frame(i: number): PeerFrame {
  return { epoch: 1, body: { $case: 'hello', value: { nodeId: `n${i}` } } };
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('FrameBatcher', () => {
  it('writes everything queued in one turn as one message, split at maxFramesPerMessage', async () => {
    const writes: PeerFrame[][] = [];
    const stats = emptyStats();
    const batcher = new FrameBatcher(
      (frames) => {
        writes.push(frames);
        return true;
      },
      stats,
      { maxQueuedFrames: 10_000, maxFramesPerMessage: 40 },
      silentLogger(),
    );
    for (let i = 0; i < 30; i++) batcher.enqueue(frame(i));
    expect(writes).toHaveLength(0);
    await nextTurn();
    expect(writes.map((w) => w.length)).toEqual([30]);

    for (let i = 0; i < 100; i++) batcher.enqueue(frame(i));
    await nextTurn();
    expect(writes.map((w) => w.length)).toEqual([30, 40, 40, 20]);
    expect(stats).toMatchObject({ messagesSent: 4, framesSent: 130, framesDropped: 0 });
  });

  it('queues while the transport is full, counts frames refused past the bound, resumes on drain', async () => {
    const writes: PeerFrame[][] = [];
    let full = true;
    const stats = emptyStats();
    const batcher = new FrameBatcher(
      (frames) => {
        writes.push(frames);
        return !full;
      },
      stats,
      { maxQueuedFrames: 5, maxFramesPerMessage: 100 },
      silentLogger(),
    );
    batcher.enqueue(frame(0));
    await nextTurn();
    expect(writes).toHaveLength(1); // accepted, but the transport is now full

    const accepted = [1, 2, 3, 4, 5, 6, 7].map((i) => batcher.enqueue(frame(i)));
    expect(accepted).toEqual([true, true, true, true, true, false, false]);
    await nextTurn();
    expect(writes).toHaveLength(1); // nothing written while blocked
    expect(stats.framesDropped).toBe(2);
    expect(batcher.queued).toBe(5);

    full = false;
    batcher.resume();
    expect(writes.map((w) => w.length)).toEqual([1, 5]);
    expect(batcher.queued).toBe(0);
    expect(batcher.enqueue(frame(8))).toBe(true);
  });

  it('counts frames still queued when the stream goes away', () => {
    const stats = emptyStats();
    const batcher = new FrameBatcher(
      () => true,
      stats,
      { maxQueuedFrames: 10, maxFramesPerMessage: 10 },
      silentLogger(),
    );
    batcher.enqueue(frame(1));
    batcher.enqueue(frame(2));
    expect(batcher.close()).toBe(2);
    expect(stats.framesLost).toBe(2);
    expect(batcher.enqueue(frame(3))).toBe(false);
  });
});
