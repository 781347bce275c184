import { ConfirmReplies, DeliveryConfirmations } from '../../src/cluster/delivery-confirmations';
import type { FrameBody } from '../../src/cluster/peer-outbox';
import { waitFor } from '../../src/core/wait-for';

describe('DeliveryConfirmations', () => {
  let now = 0;
  const clock = (): number => now;

  it('resolves with the answer of the node it asked, and ignores another node answering the same id', async () => {
    const confirmations = new DeliveryConfirmations(1000, clock);
    const a = confirmations.begin('n2');
    const b = confirmations.begin('n3');
    confirmations.settle('n3', a.id, true);
    confirmations.settle('n2', a.id, true);
    confirmations.settle('n3', b.id, false);
    await expect(a.pushed).resolves.toBe(true);
    await expect(b.pushed).resolves.toBe(false);
    expect(confirmations.size).toBe(0);
  });

  it('counts no answer within the timeout, and a frame that never left, as not delivered', async () => {
    now = 0;
    const confirmations = new DeliveryConfirmations(40, clock);
    const late = confirmations.begin('n2');
    now = 30;
    const young = confirmations.begin('n2');
    const gone = confirmations.begin('n2');
    confirmations.abandon(gone.id);
    await expect(gone.pushed).resolves.toBe(false);
    now = 50;
    await expect(late.pushed).resolves.toBe(false);
    expect(confirmations.size).toBe(1);
    // An answer after the timeout changes nothing.
    confirmations.settle('n2', late.id, true);
    confirmations.settle('n2', young.id, true);
    await expect(young.pushed).resolves.toBe(true);
    confirmations.stop();
  });
});

describe('ConfirmReplies', () => {
  it('answers everything one peer was sent in a turn with one frame', async () => {
    const sent: Array<[string, FrameBody]> = [];
    const replies = new ConfirmReplies((peer, body) => sent.push([peer, body]));
    replies.add('n1', 1, true);
    replies.add('n1', 2, false);
    replies.add('n3', 7, true);
    replies.add('n1', 3, true);
    await waitFor(() => sent.length === 2, { what: 'the replies', timeoutMs: 1000, intervalMs: 1 });
    expect(sent).toEqual([
      ['n1', { $case: 'deliverConfirm', value: { pushed: [1, 3], notPushed: [2] } }],
      ['n3', { $case: 'deliverConfirm', value: { pushed: [7], notPushed: [] } }],
    ]);
  });
});
