import type { ChatMessage, SyncHint } from '../../../gen/chat/v1/client';
import type { CatchUpResult } from './catch-up';

/** Why a resilient client stopped for good. */
export type SessionEnd = 'replaced' | 'kicked' | 'gave-up' | 'closed';

/** How a message came to be shown: pushed, found by a sync, or our own acknowledged send. */
export type ShownOrigin = 'live' | 'missed' | 'own';

/** What started a catch-up. */
export type CatchUpCause = 'login' | 'reconnect' | 'gap' | 'hint';

/** What a ResilientClient tells whoever shows its messages (a screen, a test's checker). Every method is optional. */
export interface RecoveryListener {
  /** Every push as it arrives, before de-duplication (for diagnostics and tests). */
  received?(m: ChatMessage): void;
  /** A message not shown before, in the order to show it. */
  message?(m: ChatMessage, origin: ShownOrigin): void;
  /** The connection closed unexpectedly; reconnecting starts. */
  lost?(info: { nodeId: string; code: number; reason: string }): void;
  /** A reconnect attempt failed; the next one follows after `delayMs`. */
  retry?(info: { attempt: number; delayMs: number; error: unknown }): void;
  reconnected?(info: { nodeId: string; username: string }): void;
  /** A catch-up is done (`error`: it failed; the next reconnect or gap tries again). */
  caughtUp?(info: CatchUpResult & { cause: CatchUpCause; error?: unknown }): void;
  /** The node said messages may have missed us; the catch-up follows. */
  syncHint?(hint: SyncHint): void;
  /** One attempt of a send (or room command) failed; `retryInMs` unless it was the last. */
  sendFailed?(info: { key: string; attempt: number; error: unknown; retryInMs?: number }): void;
  /** No more reconnects: the session is over. */
  ended?(info: { why: SessionEnd; message: string }): void;
}
