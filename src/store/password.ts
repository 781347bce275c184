/**
 * Password hashing with scrypt and a random per-user salt. The stored string
 * names its own parameters (`scrypt$N$r$p$saltB64$hashB64`), so the defaults
 * can be raised later without invalidating existing hashes.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
  /** Memory ceiling in bytes; defaults to twice what N and r need. */
  maxmem?: number;
}

/** OWASP's recommendation for scrypt (2^17, 8, 1): about 128 MiB per hash. */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = { N: 2 ** 17, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PREFIX = 'scrypt';

// Bounds for parameters read back from storage: a damaged row must not make a
// login allocate gigabytes.
const MAX_LOG2_N = 24;
const MAX_R = 64;
const MAX_P = 16;

export interface ParsedHash {
  params: Required<ScryptParams>;
  salt: Buffer;
  hash: Buffer;
}

export function resolveParams(params: ScryptParams): Required<ScryptParams> {
  const { N, r, p } = params;
  if (!isPowerOfTwo(N) || N > 2 ** MAX_LOG2_N)
    throw new RangeError(`scrypt N must be a power of two ≤ 2^${MAX_LOG2_N}`);
  if (!inRange(r, 1, MAX_R)) throw new RangeError(`scrypt r must be an integer in 1..${MAX_R}`);
  if (!inRange(p, 1, MAX_P)) throw new RangeError(`scrypt p must be an integer in 1..${MAX_P}`);
  // scrypt needs 128*N*r bytes (plus 128*r*p); doubling leaves room for both.
  const maxmem = params.maxmem ?? 2 * 128 * N * r * p;
  return { N, r, p, maxmem };
}

/** Hashes with a fresh random salt; returns the self-describing string. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const resolved = resolveParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, KEY_BYTES, resolved);
  return [PREFIX, resolved.N, resolved.r, resolved.p, salt.toString('base64'), hash.toString('base64')].join(
    '$',
  );
}

/** True when `password` produces `encoded`; false for a mismatch or an unreadable hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseHash(encoded);
  if (parsed === null) return false;
  const candidate = await derive(password, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when `encoded` was made with other parameters than `params` (worth re-hashing at login). */
export function needsRehash(encoded: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parseHash(encoded);
  if (parsed === null) return true;
  return parsed.params.N !== params.N || parsed.params.r !== params.r || parsed.params.p !== params.p;
}

export function parseHash(encoded: string): ParsedHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return null;
  const [, nText, rText, pText, saltText, hashText] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  let params: Required<ScryptParams>;
  try {
    params = resolveParams({ N, r, p });
  } catch {
    return null;
  }
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  if (salt.length < 8 || hash.length < 16 || hash.length > 128) return null;
  return { params, salt, hash };
}

function derive(
  password: string,
  salt: Buffer,
  keylen: number,
  params: Required<ScryptParams>,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keylen, params, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;
}

function inRange(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}
