import { randomBytes } from 'node:crypto';

/** A new resume token: 24 random bytes, base64url (32 characters). */
export function newResumeToken(): string {
  return randomBytes(24).toString('base64url');
}

/** False for anything no adapter could have issued, so it is refused without a lookup. */
export function looksLikeResumeToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{16,64}$/.test(token);
}
