/** Messages kept per conversation in the recent-history list (DESIGN.md: the 50 most recent). */
export const RECENT_LIMIT = 50;

/** How long word counts gather in memory before they reach the hot-words leaderboard. */
export const WORD_FLUSH_MS = 250;

/**
 * How long a node gathers recorded messages before pushing them to their
 * recent lists. Nothing waits for the push (the store is what an
 * acknowledgement and a sync rely on, and a history page reads the store for
 * what is newer than its list's head), so this costs no latency; it turns one
 * Redis call per message at moderate rates into one per window.
 */
export const RECENT_FLUSH_MS = 20;
