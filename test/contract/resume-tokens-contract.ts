/**
 * The ResumeTokens contract, run against Redis and the in-memory adapter.
 * `make` returns an empty store of tokens of its own, the clock its expiry
 * is measured against (`now`) and a way to let time pass on it: after
 * `elapse(ms)` at least `ms` have passed on that clock since the call.
 */
import type { ResumeTokens } from '../../src/chat/ports';

export interface ResumeTokensFixture {
  tokens: ResumeTokens;
  now(): number;
  elapse(ms: number): Promise<void>;
}

export function runResumeTokensContract(name: string, make: () => Promise<ResumeTokensFixture>): void {
  describe(`ResumeTokens contract: ${name}`, () => {
    let fixture: ResumeTokensFixture;
    let tokens: ResumeTokens;

    beforeEach(async () => {
      fixture = await make();
      tokens = fixture.tokens;
    });

    it('issues a distinct unguessable-looking token per call, each resolving to its user', async () => {
      const a = await tokens.issue('alice', 60);
      const b = await tokens.issue('alice', 60);
      const c = await tokens.issue('bob', 60);
      for (const { token } of [a, b, c]) expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(new Set([a.token, b.token, c.token]).size).toBe(3);
      expect(await tokens.resolve(a.token)).toBe('alice');
      expect(await tokens.resolve(b.token)).toBe('alice');
      expect(await tokens.resolve(c.token)).toBe('bob');
    });

    it('says when the token expires', async () => {
      const before = fixture.now();
      const { expiresAt } = await tokens.issue('alice', 90);
      const after = fixture.now();
      expect(expiresAt).toBeGreaterThanOrEqual(before + 90_000);
      expect(expiresAt).toBeLessThanOrEqual(after + 90_000);
    });

    it('answers an unknown or malformed token with null', async () => {
      await tokens.issue('alice', 60);
      expect(await tokens.resolve('A'.repeat(32))).toBeNull();
      expect(await tokens.resolve('')).toBeNull();
      expect(await tokens.resolve('short')).toBeNull();
      expect(await tokens.resolve('has spaces and * stars, 32 chars')).toBeNull();
      expect(await tokens.resolve('x'.repeat(65))).toBeNull();
    });

    it('resolves a token until its lifetime has passed, then never again', async () => {
      const { token } = await tokens.issue('alice', 2);
      await fixture.elapse(1000);
      expect(await tokens.resolve(token)).toBe('alice');
      await fixture.elapse(1000);
      expect(await tokens.resolve(token)).toBeNull();
    });
  });
}
