import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/**
 * uuid's default source refills 256 random bytes every 16 ids, and in the
 * nodes each refill (a synchronous call into OpenSSL) cost about 1 % of their
 * samples at full load. One refill per 256 ids takes that off the path.
 */
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;

/** 16 random bytes; uuid reads them at once, so a view into the pool is enough. */
function pooledRandom(): Uint8Array {
  if (used + 16 > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const bytes = pool.subarray(used, used + 16);
  used += 16;
  return bytes;
}

/**
 * A new message id: a UUIDv7, so that ids land at the end of the store's id
 * index. With a source of its own uuid does not keep its in-millisecond
 * counter, so ids of one millisecond are not ordered among themselves; nothing
 * orders messages by id (sequence numbers do).
 */
export function newMessageId(): string {
  return uuidv7({ rng: pooledRandom });
}
