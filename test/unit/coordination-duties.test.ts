import { EventEmitter } from 'node:events';
import pino from 'pino';
import { LeaderDuties } from '../../src/cluster/coordination/leader-duties';
import type { LeaderDuty } from '../../src/cluster/coordination/leader-duties';
import { sortCandidates } from '../../src/cluster/coordination/election';
import { parseDescriptor } from '../../src/cluster/coordination/membership';
import type { CoordinatorEvents } from '../../src/cluster/coordination/types';
import { silentLogger } from '../../src/core/logger';

function journalDuty(
  name: string,
  journal: string[],
  options: { failStart?: boolean; slowMs?: number } = {},
) {
  const duty: LeaderDuty = {
    name,
    start: async (epoch) => {
      journal.push(`${name}:start:${epoch}`);
      if (options.slowMs) await new Promise((resolve) => setTimeout(resolve, options.slowMs));
      if (options.failStart) throw new Error('cannot start');
    },
    stop: async () => {
      journal.push(`${name}:stop`);
      if (options.slowMs) await new Promise((resolve) => setTimeout(resolve, options.slowMs));
    },
  };
  return duty;
}

describe('LeaderDuties', () => {
  it('starts duties in order on leadership and stops them in reverse order on loss', async () => {
    const journal: string[] = [];
    const duties = new LeaderDuties(silentLogger());
    duties.register(journalDuty('rooms', journal));
    duties.register(journalDuty('hot-words', journal));
    duties.setLeadership({ leading: true, epoch: 7 });
    await duties.idle();
    expect(duties.running()).toEqual(['rooms', 'hot-words']);
    duties.setLeadership({ leading: false, epoch: 7 });
    await duties.idle();
    expect(journal).toEqual(['rooms:start:7', 'hot-words:start:7', 'hot-words:stop', 'rooms:stop']);
    expect(duties.running()).toEqual([]);
  });

  it('never starts twice without a stop, however quickly leadership flaps', async () => {
    const journal: string[] = [];
    const duties = new LeaderDuties(silentLogger());
    duties.register(journalDuty('rooms', journal, { slowMs: 5 }));
    duties.setLeadership({ leading: true, epoch: 1 });
    duties.setLeadership({ leading: true, epoch: 1 });
    duties.setLeadership({ leading: false, epoch: 1 });
    duties.setLeadership({ leading: true, epoch: 3 });
    duties.setLeadership({ leading: true, epoch: 3 });
    await duties.idle();
    // Strict alternation, and the final state is "started for the latest epoch".
    for (let i = 0; i < journal.length; i += 1) {
      expect(journal[i]).toMatch(i % 2 === 0 ? /:start:/ : /:stop$/);
    }
    expect(journal.at(-1)).toBe('rooms:start:3');
    await duties.stopAll();
    expect(journal.at(-1)).toBe('rooms:stop');
  });

  it('restarts with the new epoch when leadership is regained under a new epoch', async () => {
    const journal: string[] = [];
    const duties = new LeaderDuties(silentLogger());
    duties.register(journalDuty('rooms', journal));
    duties.setLeadership({ leading: true, epoch: 1 });
    await duties.idle();
    duties.setLeadership({ leading: true, epoch: 4 });
    await duties.idle();
    expect(journal).toEqual(['rooms:start:1', 'rooms:stop', 'rooms:start:4']);
  });

  it('logs a failing duty by name, keeps the others, and does not stop what never started', async () => {
    const journal: string[] = [];
    const logged: Record<string, unknown>[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const duties = new LeaderDuties(logger);
    duties.register(journalDuty('broken', journal, { failStart: true }));
    duties.register(journalDuty('rooms', journal));
    expect(() => duties.setLeadership({ leading: true, epoch: 2 })).not.toThrow();
    await duties.idle();
    expect(duties.running()).toEqual(['rooms']);
    expect(logged).toEqual([
      expect.objectContaining({ duty: 'broken', epoch: 2, msg: 'leader duty failed to start' }),
    ]);
    duties.setLeadership({ leading: false, epoch: 2 });
    await duties.idle();
    expect(journal).toEqual(['broken:start:2', 'rooms:start:2', 'rooms:stop']);
  });

  it('starts a duty registered while already leading, and follows an event source', async () => {
    const journal: string[] = [];
    const source = new EventEmitter<CoordinatorEvents>();
    const duties = new LeaderDuties(silentLogger());
    const unfollow = duties.follow(source);
    source.emit('leadership', { leading: true, epoch: 5, reason: 'test' });
    duties.register(journalDuty('late', journal));
    await duties.idle();
    expect(journal).toEqual(['late:start:5']);
    unfollow();
    source.emit('leadership', { leading: false, epoch: 5, reason: 'test' });
    await duties.idle();
    expect(journal).toEqual(['late:start:5']);
    expect(() => duties.register(journalDuty('late', journal))).toThrow(/already registered/);
  });
});

describe('election and membership parsing', () => {
  it('orders candidates by sequence number and skips foreign children', () => {
    expect(sortCandidates(['n-0000000010', 'junk', 'n-0000000002', 'n-0000000100'])).toEqual([
      { name: 'n-0000000002', seq: 2 },
      { name: 'n-0000000010', seq: 10 },
      { name: 'n-0000000100', seq: 100 },
    ]);
  });

  it('accepts only complete node descriptors', () => {
    const good = { nodeId: 'a', wsUrl: 'ws://x', rpcAddress: '127.0.0.1:1', startedAt: 1 };
    expect(parseDescriptor(Buffer.from(JSON.stringify({ ...good, extra: true })))).toEqual(good);
    expect(parseDescriptor(Buffer.from('{"nodeId":"a"}'))).toBeNull();
    expect(parseDescriptor(Buffer.from('not json'))).toBeNull();
  });
});
