import {
  DEFAULT_SCRYPT,
  hashPassword,
  needsRehash,
  parseHash,
  resolveParams,
  verifyPassword,
} from '../../src/store/password';

// Small N keeps the suite fast; the format and the comparison do not depend on it.
const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('stores a self-describing scrypt string with its parameters', async () => {
    const encoded = await hashPassword('correct horse', FAST);
    const parts = encoded.split('$');
    expect(parts).toHaveLength(6);
    expect(parts.slice(0, 4)).toEqual(['scrypt', '1024', '8', '1']);
    const parsed = parseHash(encoded);
    expect(parsed?.salt).toHaveLength(16);
    expect(parsed?.hash).toHaveLength(32);
  });

  it('accepts the right password and rejects a wrong one', async () => {
    const encoded = await hashPassword('correct horse', FAST);
    await expect(verifyPassword('correct horse', encoded)).resolves.toBe(true);
    await expect(verifyPassword('correct horsE', encoded)).resolves.toBe(false);
    await expect(verifyPassword('', encoded)).resolves.toBe(false);
  });

  it('salts every hash, so equal passwords give different strings', async () => {
    const a = await hashPassword('same', FAST);
    const b = await hashPassword('same', FAST);
    expect(a).not.toBe(b);
    await expect(verifyPassword('same', a)).resolves.toBe(true);
    await expect(verifyPassword('same', b)).resolves.toBe(true);
  });

  it('verifies with the parameters stored in the hash, not the current ones', async () => {
    const old = await hashPassword('pw', { N: 2 ** 11, r: 4, p: 2 });
    await expect(verifyPassword('pw', old)).resolves.toBe(true);
    expect(needsRehash(old, FAST)).toBe(true);
    expect(needsRehash(await hashPassword('pw', FAST), FAST)).toBe(false);
  });

  it('treats the same text in different Unicode normal forms as one password', async () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    const encoded = await hashPassword(composed, FAST);
    await expect(verifyPassword(decomposed, encoded)).resolves.toBe(true);
  });

  it.each([
    ['empty', ''],
    ['wrong scheme', 'bcrypt$1024$8$1$c2FsdHNhbHQ=$aGFzaA=='],
    ['too few fields', 'scrypt$1024$8$1$c2FsdA=='],
    ['N not a power of two', 'scrypt$1000$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA=='],
    ['N huge', `scrypt$${2 ** 30}$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==`],
    ['r zero', 'scrypt$1024$0$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA=='],
    ['short hash', 'scrypt$1024$8$1$c2FsdHNhbHRzYWx0$aGFzaA=='],
  ])('rejects an unreadable stored hash (%s) without throwing', async (_label, encoded) => {
    expect(parseHash(encoded)).toBeNull();
    await expect(verifyPassword('anything', encoded)).resolves.toBe(false);
  });

  it('rejects invalid parameters when hashing', async () => {
    expect(() => resolveParams({ N: 1000, r: 8, p: 1 })).toThrow(RangeError);
    await expect(hashPassword('pw', { N: 1024, r: 0, p: 1 })).rejects.toThrow(RangeError);
  });

  it('sizes maxmem so the OWASP defaults run (N=2^17 needs 128 MiB)', async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(resolveParams(DEFAULT_SCRYPT).maxmem).toBeGreaterThanOrEqual(128 * 2 ** 17 * 8);
    const encoded = await hashPassword('default cost', DEFAULT_SCRYPT);
    await expect(verifyPassword('default cost', encoded)).resolves.toBe(true);
  });
});
