import { LocalSessions } from '../../src/chat/local-sessions';
import type { GlobalSession } from '../../src/chat/ports';
import { restoreSessions } from '../../src/chat/session-restore';
import type { LocalSession } from '../../src/chat/types';
import { silentLogger } from '../../src/core/logger';

/** Only what restoreSessions uses: set-if-absent over a map. */
function directory(held: Map<string, GlobalSession>): Parameters<typeof restoreSessions>[0]['directory'] {
  const unused = (): never => {
    throw new Error('not used here');
  };
  return {
    restore: async (username, session) => {
      const holder = held.get(username);
      if (!holder) {
        held.set(username, session);
        return null;
      }
      return holder.sid === session.sid ? null : holder;
    },
    claim: unused,
    get: unused,
    release: unused,
    lastSeen: unused,
    all: unused,
    releaseNode: unused,
  };
}

function session(username: string, sid: string, loginAt: number, kicked: string[]): LocalSession {
  return {
    username,
    alliance: '',
    sid,
    loginAt,
    peer: { push: () => undefined, kick: () => kicked.push(username), hint: () => undefined },
  };
}

describe('restoreSessions (shared state lost, e.g. Redis restarted empty)', () => {
  it('writes local sessions back, and yields to a login made elsewhere since', async () => {
    const local = new LocalSessions();
    const kicked: string[] = [];
    local.add(session('ann', 's-ann', 100, kicked));
    local.add(session('bob', 's-bob', 100, kicked));
    local.add(session('cy', 's-cy', 300, kicked));
    const held = new Map<string, GlobalSession>([
      // bob logged in on n2 after the loss: that newer login wins.
      ['bob', { nodeId: 'n2', loginAt: 200, sid: 's-bob-2' }],
      // cy's entry elsewhere is older than the session here: left alone.
      ['cy', { nodeId: 'n3', loginAt: 50, sid: 's-cy-old' }],
    ]);
    const kickLocal = (username: string, sid: string): boolean => {
      const removed = local.remove(username, sid);
      removed?.peer.kick('replaced');
      return removed !== undefined;
    };
    const result = await restoreSessions({
      directory: directory(held),
      local,
      nodeId: 'n1',
      logger: silentLogger(),
      kickLocal,
    });
    expect(result).toEqual({ restored: 1, replaced: 1 });
    expect(held.get('ann')).toEqual({ nodeId: 'n1', loginAt: 100, sid: 's-ann' });
    expect(kicked).toEqual(['bob']);
    expect(local.get('bob')).toBeUndefined();
    expect(local.get('cy')?.sid).toBe('s-cy');
  });
});
