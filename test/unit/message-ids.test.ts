import { validate, version } from 'uuid';
import { newMessageId } from '../../src/chat/message-ids';

describe('newMessageId', () => {
  it('makes distinct UUIDv7 ids across many refills of its random pool', () => {
    const ids = Array.from({ length: 5000 }, () => newMessageId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect([validate(id), version(id)]).toEqual([true, 7]);
  });

  it('puts the current time in front, so later ids sort after earlier ones across milliseconds', async () => {
    const first = newMessageId();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = newMessageId();
    expect(later > first).toBe(true);
    const ms = parseInt(later.replace(/-/g, '').slice(0, 12), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(1000);
  });
});
