/**
 * The ResumeTokens contract, run against Redis and the in-memory adapter.
 * `make` returns an empty store of tokens of its own, the clock its expiry
 * is measured against (`now`), a way to let time pass on it (after
 * `elapse(ms)` at least `ms` have passed on that clock since the call), and
 * everything the adapter stores as text (`storedText`: key names and values).
 */
import type { ResumeTokens } from '../../src/chat/ports';
import { hashResumeSecret } from '../../src/core/resume-token';

export interface ResumeTokensFixture {
  tokens: ResumeTokens;
  now(): number;
  elapse(ms: number): Promise<void>;
  storedText(): Promise<string[]>;
}

/** The random part of a token, after the user's name. */
const secretOf = (token: string): string => token.slice(token.lastIndexOf('.') + 1);

export function runResumeTokensContract(name: string, make: () => Promise<ResumeTokensFixture>): void {
  describe(`ResumeTokens contract: ${name}`, () => {
    let fixture: ResumeTokensFixture;
    let tokens: ResumeTokens;

    beforeEach(async () => {
      fixture = await make();
      tokens = fixture.tokens;
    });

    it('issues a token naming its user with 256 random bits, distinct per call', async () => {
      const a = await tokens.issue('alice', 's1', 60);
      const b = await tokens.issue('alice', 's2', 60);
      const c = await tokens.issue('bob', 's3', 60);
      expect(a.token).toMatch(/^alice\.[A-Za-z0-9_-]{43}$/);
      expect(c.token).toMatch(/^bob\.[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secretOf(a.token), 'base64url')).toHaveLength(32);
      expect(new Set([a, b, c].map((t) => secretOf(t.token))).size).toBe(3);
    });

    it('a token resumes the session it was issued to, once', async () => {
      const { token } = await tokens.issue('alice', 's1', 60);
      expect(await tokens.consume(token)).toEqual({ username: 'alice', sid: 's1' });
      expect(await tokens.consume(token)).toBeNull();
    });

    it('of two concurrent uses of one token, one gets the session', async () => {
      const { token } = await tokens.issue('alice', 's1', 60);
      const results = await Promise.all([1, 2, 3, 4].map(() => tokens.consume(token)));
      expect(results.filter((r) => r !== null)).toEqual([{ username: 'alice', sid: 's1' }]);
    });

    it("a newer token of a user revokes the older one, and leaves other users' alone", async () => {
      const older = await tokens.issue('alice', 's1', 60);
      const bobs = await tokens.issue('bob', 's3', 60);
      const newer = await tokens.issue('alice', 's2', 60);
      expect(await tokens.consume(older.token)).toBeNull();
      expect(await tokens.consume(newer.token)).toEqual({ username: 'alice', sid: 's2' });
      expect(await tokens.consume(bobs.token)).toEqual({ username: 'bob', sid: 's3' });
    });

    it("revoke ends only the named session's token", async () => {
      const { token } = await tokens.issue('alice', 's2', 60);
      // A logout of the session alice had before s2 must not end s2's token.
      expect(await tokens.revoke('alice', 's1')).toBe(false);
      expect(await tokens.revoke('bob', 's2')).toBe(false);
      expect(await tokens.revoke('alice', 's2')).toBe(true);
      expect(await tokens.consume(token)).toBeNull();
      expect(await tokens.revoke('alice', 's2')).toBe(false);
    });

    it("revokeUser ends the user's token whichever session it belongs to", async () => {
      const alices = await tokens.issue('alice', 's1', 60);
      const bobs = await tokens.issue('bob', 's2', 60);
      expect(await tokens.revokeUser('alice')).toBe(true);
      expect(await tokens.revokeUser('alice')).toBe(false);
      expect(await tokens.consume(alices.token)).toBeNull();
      expect(await tokens.consume(bobs.token)).toEqual({ username: 'bob', sid: 's2' });
    });

    it('answers a wrong, unknown or malformed token with null, and a wrong one leaves the real one valid', async () => {
      const { token } = await tokens.issue('alice', 's1', 60);
      const wrong = [
        `alice.${'A'.repeat(43)}`,
        `bob.${secretOf(token)}`,
        secretOf(token),
        `alice.${secretOf(token)}x`,
        `alice.${secretOf(token).slice(1)}`,
        '',
        'short',
        `ali ce.${secretOf(token)}`,
        'x'.repeat(200),
      ];
      for (const bad of wrong) expect(await tokens.consume(bad)).toBeNull();
      expect(await tokens.consume(token)).toEqual({ username: 'alice', sid: 's1' });
    });

    it('stores a hash of the secret, never the token or its secret', async () => {
      const issued = [await tokens.issue('alice', 's1', 60), await tokens.issue('bob', 's2', 60)];
      const stored = (await fixture.storedText()).join('\n');
      for (const { token } of issued) {
        expect(stored).not.toContain(token);
        expect(stored).not.toContain(secretOf(token));
        expect(stored).toContain(hashResumeSecret(secretOf(token)));
      }
    });

    it('says when the token expires', async () => {
      const before = fixture.now();
      const { expiresAt } = await tokens.issue('alice', 's1', 90);
      const after = fixture.now();
      expect(expiresAt).toBeGreaterThanOrEqual(before + 90_000);
      expect(expiresAt).toBeLessThanOrEqual(after + 90_000);
    });

    it('a token works until its lifetime has passed, then never again', async () => {
      const early = await tokens.issue('alice', 's1', 2);
      const late = await tokens.issue('bob', 's2', 2);
      await fixture.elapse(1000);
      expect(await tokens.consume(early.token)).toEqual({ username: 'alice', sid: 's1' });
      await fixture.elapse(1000);
      expect(await tokens.consume(late.token)).toBeNull();
      expect(await tokens.revoke('bob', 's2')).toBe(false);
    });
  });
}
