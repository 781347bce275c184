import type { Logger } from '../core/logger';
import type { MessageStore } from '../store/types';
import type { LocalSessions } from './local-sessions';

/** How many direct conversations one hint lists at most. */
const HINT_LIMIT = 500;

/** Messages are looked for from this long before the loss began (clocks of nodes differ a little). */
const SLACK_MS = 10_000;

/**
 * Tells this node's clients when messages may have reached the store without
 * reaching them: after frames from another node may have been lost (the link
 * from it broke, or it died), every local client is told to sync what it has
 * seen, and the direct conversations with messages since shortly before the
 * loss, which it may not know yet, are listed.
 */
export class SyncHints {
  constructor(
    private readonly deps: {
      messages: Pick<MessageStore, 'missedDirect'>;
      local: LocalSessions;
      logger: Logger;
    },
  ) {}

  /** Frames from `peer` since `since` (ms) may be lost: hint every local session. */
  async afterLinkLoss(peer: string, since: number): Promise<number> {
    const reason = `the link from ${peer} was interrupted`;
    let hinted = 0;
    for (const session of [...this.deps.local.all()]) {
      try {
        const positions = await this.deps.messages.missedDirect(
          session.username,
          since - SLACK_MS,
          HINT_LIMIT,
        );
        // The session may have gone while the store answered.
        if (this.deps.local.get(session.username)?.sid !== session.sid) continue;
        session.peer.hint({ positions, all: true, reason });
        hinted++;
      } catch (err) {
        this.deps.logger.warn(
          { event: 'sync_hint_failed', user: session.username, err },
          'could not send a sync hint',
        );
      }
    }
    this.deps.logger.info(
      { event: 'sync_hints_sent', peer, sessions: hinted },
      'told clients to sync after a link loss',
    );
    return hinted;
  }
}
