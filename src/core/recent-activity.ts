/** Messages kept per conversation in the recent-history list (DESIGN.md: the 50 most recent). */
export const RECENT_LIMIT = 50;

/** How long word counts gather in memory before they reach the hot-words leaderboard. */
export const WORD_FLUSH_MS = 250;
