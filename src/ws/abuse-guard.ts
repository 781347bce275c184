import { Strikes, TokenBucket } from '../core/token-bucket';
import type { Clock } from '../core/token-bucket';
import { CloseCode } from '../protocol/close-codes';

/** Why a frame earned a strike. */
export type StrikeCause = 'rate' | 'malformed' | 'pending';

export interface AbuseLimits {
  /** Sustained frames per second (token refill). */
  ratePerSecond: number;
  /** Largest burst (bucket size). */
  burst: number;
  /** More strikes than this within `strikeWindowMs` close the connection. */
  maxStrikes: number;
  /** Defaults to one minute. */
  strikeWindowMs?: number;
  now?: Clock;
}

/** What the pipeline does with one incoming frame. */
export type Verdict = { ok: true } | { ok: false; close: number | undefined };

/**
 * The per-connection budget of one client: every WebSocket message takes a
 * token before it is even decoded, so garbage costs the sender as much as a
 * valid command. Rejections (no token, a frame that cannot be decoded, a full
 * command queue) are strikes; past `maxStrikes` within the window the client
 * is closed: 4001 RATE_ABUSE for a flood of valid commands (clients know it
 * and stop reconnecting), 1008 POLICY_VIOLATION when the last straw was a
 * frame that breaks the protocol.
 */
export class AbuseGuard {
  private readonly bucket: TokenBucket;
  private readonly strikes: Strikes;

  constructor(readonly limits: AbuseLimits) {
    this.bucket = new TokenBucket({
      capacity: limits.burst,
      refillPerSecond: limits.ratePerSecond,
      now: limits.now,
    });
    this.strikes = new Strikes({
      limit: limits.maxStrikes + 1,
      windowMs: limits.strikeWindowMs ?? 60_000,
      now: limits.now,
    });
  }

  /** Takes a token for one frame; a refusal is already counted as a strike. */
  admit(): Verdict {
    if (this.bucket.take()) return { ok: true };
    return this.strike('rate');
  }

  /** Records a strike; `close` is set once the client has struck out. */
  strike(cause: StrikeCause): Verdict & { ok: false } {
    if (!this.strikes.strike()) return { ok: false, close: undefined };
    return { ok: false, close: cause === 'malformed' ? CloseCode.POLICY_VIOLATION : CloseCode.RATE_ABUSE };
  }

  /** Strikes within the current window. */
  strikeCount(): number {
    return this.strikes.count();
  }
}

/**
 * The request id of a frame without decoding it, for the 429 of a frame that
 * is refused unread. The codecs write `id` first: field 1 as a varint in
 * protobuf, the first key in JSON. Anything else gets 0 (a push-style reply).
 */
export function peekRequestId(bytes: Buffer, isBinary: boolean): number {
  if (isBinary) {
    if (bytes[0] !== 0x08) return 0;
    let value = 0;
    for (let i = 1, shift = 0; i < Math.min(bytes.length, 6); i++, shift += 7) {
      const byte = bytes[i] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value <= 0xffffffff ? value : 0;
    }
    return 0;
  }
  const match = /^\s*\{\s*"id"\s*:\s*(\d{1,10})\s*[,}]/.exec(bytes.subarray(0, 40).toString('latin1'));
  const id = match ? Number(match[1]) : 0;
  return id <= 0xffffffff ? id : 0;
}
