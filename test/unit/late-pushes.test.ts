import { LatePushes } from '../../src/chat/late-pushes';
import type { OutgoingPush } from '../../src/chat/types';

const push = (id: string): OutgoingPush => ({ id }) as unknown as OutgoingPush; // only identity matters here

describe('LatePushes', () => {
  let now = 0;
  const clock = (): number => now;

  it('hands what was kept for a user to their next login, once, oldest first', () => {
    const late = new LatePushes(clock, 1000);
    late.keep('bo', push('a'));
    late.keep('bo', push('b'));
    late.keep('cy', push('c'));
    expect(late.take('bo')).toEqual([push('a'), push('b')]);
    expect(late.take('bo')).toEqual([]);
    expect(late.take('cy')).toEqual([push('c')]);
    expect(late.size).toBe(0);
  });

  it('forgets pushes older than the keep time, and the users past the bound, oldest first', () => {
    now = 0;
    const late = new LatePushes(clock, 1000, 2, 2);
    late.keep('old', push('o'));
    now = 1500;
    late.keep('bo', push('1'));
    expect(late.take('old')).toEqual([]);
    late.keep('bo', push('2'));
    late.keep('bo', push('3'));
    late.keep('cy', push('c'));
    late.keep('dee', push('d'));
    expect(late.size).toBe(2);
    expect(late.take('bo')).toEqual([]);
    expect(late.take('cy')).toEqual([push('c')]);
    expect(late.take('dee')).toEqual([push('d')]);
    late.keep('eve', push('1'));
    late.keep('eve', push('2'));
    late.keep('eve', push('3'));
    expect(late.take('eve')).toEqual([push('2'), push('3')]);
  });
});
