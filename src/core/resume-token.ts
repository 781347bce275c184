import { createHash, randomBytes } from 'node:crypto';

/**
 * A resume token is `<username>.<secret>`: the secret is 32 random bytes
 * (256 bits) in base64url (43 characters). The name in front says whose
 * token it is, so an adapter finds the user's one record with one key (one
 * atomic operation, also on Redis Cluster) and the failed-login backoff can
 * charge a bad token to the account it names. It is not a secret: usernames
 * are shown to everyone in the chat.
 */
const TOKEN = /^([^\s.\p{Cc}]{1,64})\.([A-Za-z0-9_-]{43})$/u;

export interface IssuedToken {
  token: string;
  /** What the adapter stores in its place (hashResumeSecret of the secret). */
  secretHash: string;
}

export function newResumeToken(username: string): IssuedToken {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${username}.${secret}`, secretHash: hashResumeSecret(secret) };
}

/** The user a token names and the hash of its secret; undefined for anything no adapter issues. */
export function parseResumeToken(token: string): { username: string; secretHash: string } | undefined {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  return { username: match[1] as string, secretHash: hashResumeSecret(match[2] as string) };
}

/** The user a well-formed token names (whether or not it is valid), else undefined. */
export function resumeTokenUser(token: string): string | undefined {
  return TOKEN.exec(token)?.[1];
}

/**
 * SHA-256, base64url. A slow hash (like scrypt for passwords) exists to make
 * guessing a low-entropy secret expensive; a token's secret has 256 random
 * bits, so there is nothing to guess, and SHA-256's preimage resistance is
 * what keeps someone who reads the stored hashes (a Redis dump, MONITOR, a
 * replica) from presenting one. It stays cheap, which matters when thousands
 * of clients resume at once. No salt: every secret is unique already. For the
 * same reason comparing hashes needs no constant time: a caller controls the
 * hash only through a preimage.
 */
export function hashResumeSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}
