/**
 * The SessionDirectory contract, run against Redis and the in-memory adapter.
 * `make` returns an empty directory of its own (Redis: a unique key prefix).
 */
import type { GlobalSession, SessionDirectory } from '../../src/chat/ports';

const session = (nodeId: string, sid: string, loginAt = 1_700_000_000_000): GlobalSession => ({
  nodeId,
  loginAt,
  sid,
});

export function runSessionDirectoryContract(name: string, make: () => Promise<SessionDirectory>): void {
  describe(`SessionDirectory contract: ${name}`, () => {
    let directory: SessionDirectory;

    beforeEach(async () => {
      directory = await make();
    });

    it('knows no session, no last-seen time and no users at first', async () => {
      expect(await directory.get('alice')).toBeNull();
      expect(await directory.lastSeen('alice')).toBeNull();
      expect(await directory.all()).toEqual(new Map());
    });

    it('claims a session and returns the one it replaced', async () => {
      const first = session('node1', 'sid-1');
      const second = session('node2', 'sid-2', 1_700_000_000_500);
      expect(await directory.claim('alice', first)).toEqual({ replaced: null, loginAt: first.loginAt });
      expect(await directory.get('alice')).toEqual(first);
      expect(await directory.claim('alice', second)).toEqual({ replaced: first, loginAt: second.loginAt });
      expect(await directory.get('alice')).toEqual(second);
      // An earlier clock (another node's): recorded one past the session it replaced.
      const third = session('node3', 'sid-3');
      expect(await directory.claim('alice', third)).toEqual({
        replaced: second,
        loginAt: second.loginAt + 1,
      });
      expect(await directory.get('alice')).toEqual({ ...third, loginAt: second.loginAt + 1 });
    });

    it('records every claim later than the one it replaced, so login time orders the claims', async () => {
      const sameMs = [1, 2, 3, 4, 5].map((i) => session(`node${i}`, `sid-${i}`));
      const claims = await Promise.all(sameMs.map((s) => directory.claim('crowd', s)));
      const times = claims.map((c) => c.loginAt).sort((a, b) => a - b);
      expect(times).toEqual([0, 1, 2, 3, 4].map((i) => sameMs[0]!.loginAt + i));
      // The session held at the end has the latest time, and each claim replaced the one just before it.
      expect((await directory.get('crowd'))?.loginAt).toBe(times[4]);
      expect(claims.filter((c) => c.replaced === null)).toHaveLength(1);
      for (const c of claims) if (c.replaced) expect(c.replaced.loginAt).toBe(c.loginAt - 1);
    });

    it('lets exactly one of two simultaneous claims see the other as replaced', async () => {
      const a = session('node1', 'sid-a');
      const b = session('node2', 'sid-b');
      const [fromA, fromB] = (
        await Promise.all([directory.claim('race', a), directory.claim('race', b)])
      ).map((c) => c.replaced);
      // Either a went first (replaced nothing) and b replaced it, or the other way round.
      const held = await directory.get('race');
      expect([
        [null, a, b.sid],
        [b, null, a.sid],
      ]).toContainEqual([fromA, fromB, held?.sid]);
    });

    it('releases only with the current sid, and records when the user was last seen', async () => {
      await directory.claim('alice', session('node1', 'old'));
      await directory.claim('alice', session('node2', 'new', 1_700_000_000_100));
      // The old connection closing must not log out the newer login.
      expect(await directory.release('alice', 'old', 111)).toBe(false);
      expect(await directory.get('alice')).toEqual(session('node2', 'new', 1_700_000_000_100));
      expect(await directory.lastSeen('alice')).toBeNull();

      expect(await directory.release('alice', 'new', 222)).toBe(true);
      expect(await directory.get('alice')).toBeNull();
      expect(await directory.lastSeen('alice')).toBe(222);
      // A second release of the same session changes nothing.
      expect(await directory.release('alice', 'new', 333)).toBe(false);
      expect(await directory.lastSeen('alice')).toBe(222);
      expect(await directory.release('nobody', 'new', 444)).toBe(false);
      expect(await directory.lastSeen('nobody')).toBeNull();
    });

    it('keeps the last-seen time across a new login until the next release', async () => {
      await directory.claim('alice', session('node1', 's1'));
      await directory.release('alice', 's1', 1000);
      await directory.claim('alice', session('node1', 's2'));
      expect(await directory.lastSeen('alice')).toBe(1000);
      await directory.release('alice', 's2', 2000);
      expect(await directory.lastSeen('alice')).toBe(2000);
    });

    it('lists every session by user', async () => {
      await directory.claim('alice', session('node1', 'a'));
      await directory.claim('bob', session('node2', 'b'));
      await directory.claim('carol|:{x}', session('node1', 'c'));
      expect(await directory.all()).toEqual(
        new Map([
          ['alice', session('node1', 'a')],
          ['bob', session('node2', 'b')],
          ['carol|:{x}', session('node1', 'c')],
        ]),
      );
    });

    it('restores a session only when the user has none, and names the holder otherwise', async () => {
      const lost = session('node1', 'before-the-loss');
      expect(await directory.restore('alice', lost)).toBeNull();
      expect(await directory.get('alice')).toEqual(lost);
      // Restoring the same session again: it is the recorded one.
      expect(await directory.restore('alice', lost)).toBeNull();

      const newer = session('node2', 'after-the-loss');
      await directory.claim('bob', newer);
      expect(await directory.restore('bob', session('node1', 'stale'))).toEqual(newer);
      expect(await directory.get('bob')).toEqual(newer);
    });

    it('releases every session of one node and no other, without touching last-seen times', async () => {
      await directory.claim('alice', session('dead', 'a'));
      await directory.claim('bob', session('live', 'b'));
      await directory.claim('carol', session('dead', 'c'));
      expect(await directory.releaseNode('dead')).toBe(2);
      expect(await directory.all()).toEqual(new Map([['bob', session('live', 'b')]]));
      expect(await directory.lastSeen('alice')).toBeNull();
      expect(await directory.releaseNode('dead')).toBe(0);
    });

    it('hands out copies: changing an answer does not change what is stored', async () => {
      const mine = session('node1', 'a');
      await directory.claim('alice', mine);
      mine.sid = 'changed after the claim';
      const got = await directory.get('alice');
      if (got) got.nodeId = 'changed by a reader';
      (await directory.all()).get('alice')!.sid = 'changed through all()';
      expect(await directory.get('alice')).toEqual(session('node1', 'a'));
    });
  });
}
