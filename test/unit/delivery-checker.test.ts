import type { ChatMessage } from '../../gen/chat/v1/client';
import { MessageKind } from '../../gen/chat/v1/client';
import { DeliveryChecker, formatReport, textFor } from '../support/checker';
import type { PlannedSend } from '../support/checker';

const ROOM = 'room:r';

function plan(key: string, from = 'a'): PlannedSend {
  return { key, kind: 'room', from, to: 'r', conversation: ROOM, text: textFor(key) };
}

function message(key: string, seq: number, from = 'a', id = `id-${key}`): ChatMessage {
  return {
    id,
    kind: MessageKind.MESSAGE_KIND_ROOM,
    conversation: ROOM,
    seq,
    from,
    to: 'r',
    text: textFor(key),
    ts: 1,
  };
}

function ack(
  key: string,
  seq: number,
  id = `id-${key}`,
): { id: string; conversation: string; seq: number; ts: number; delivered: boolean } {
  return { id, conversation: ROOM, seq, ts: 1, delivered: true };
}

/** Two members a and b; `sends` keys are acknowledged at seq 1..n unless said otherwise. */
function checker(keys: string[]): DeliveryChecker {
  const c = new DeliveryChecker();
  c.room(ROOM, ['a', 'b']);
  keys.forEach((key, i) => {
    c.attempt(plan(key));
    c.acknowledged(key, ack(key, i + 1), 0);
  });
  return c;
}

describe('DeliveryChecker', () => {
  it('passes a clean history and counts live, sync-only and raw duplicate deliveries', () => {
    const c = checker(['k1', 'k2']);
    c.delivered('b', message('k1', 1));
    c.delivered('b', message('k1', 1));
    for (const who of ['a', 'b']) {
      c.synced(who, message('k1', 1));
      c.synced(who, message('k2', 2));
    }
    const r = c.check('clean');
    expect(r).toMatchObject({
      sent: 2,
      acknowledged: 2,
      missing: 0,
      duplicates: 0,
      duplicatesRaw: 1,
      gaps: 0,
      phantoms: 0,
      deliveredLive: 1,
      deliveredAfterSync: 1,
    });
    expect(formatReport(r)).toContain('missing=0');
  });

  it('finds a missing message, a gap, a phantom, a double store and a wrong ack', () => {
    const c = checker(['k1', 'k2', 'k3']);
    c.attempt(plan('k4'));
    c.acknowledged('k4', ack('k4', 9), 0);
    // b never sees k2; seq 2 is absent from every view (a gap); k3 is stored twice;
    // k4 is stored at seq 4 but was acknowledged as 9; 'zz' was never sent.
    for (const who of ['a', 'b']) {
      c.synced(who, message('k1', 1));
      c.synced(who, message('k3', 3));
      c.synced(who, message('k3', 5, 'a', 'id-k3-again'));
      c.synced(who, message('k4', 4));
      c.synced(who, message('zz', 6));
    }
    c.synced('a', message('k2', 7));
    const r = c.check('broken');
    expect(r.missing).toBe(1);
    expect(r.gaps).toBe(1);
    expect(r.phantoms).toBe(1);
    expect(r.duplicates).toBe(1);
    expect(r.ackMismatches).toBe(2);
    expect(r.problems.join('\n')).toMatch(/b never saw room k2/);
  });

  it('requires stored-offline direct messages too, and allows given-up ones to be absent', () => {
    const c = new DeliveryChecker();
    const dm = (key: string): PlannedSend => ({
      key,
      kind: 'direct',
      from: 'a',
      to: 'b',
      conversation: 'dm:a|b',
      text: textFor(key),
    });
    c.attempt(dm('d1'));
    c.storedOffline('d1');
    c.attempt(dm('d2'));
    c.gaveUp('d2');
    const r = c.check('offline');
    expect(r).toMatchObject({ storedOffline: 1, unacknowledged: 1, missing: 2 });
  });
});
