import type { CheckReport } from '../checker';

/** The columns of a scenario's counts line, in the order of docs/delivery.md's table. */
export const REPORT_COLUMNS: Array<[string, (r: CheckReport) => string | number]> = [
  ['acked', (r) => r.acknowledged],
  ['offline-stored', (r) => r.storedOffline],
  ['unacked', (r) => r.unacknowledged],
  ['retries', (r) => r.retries],
  ['expected', (r) => r.expected],
  ['live', (r) => r.shownLive],
  ['after-sync', (r) => r.shownAfterSync],
  ['missing-stored', (r) => r.missingStored],
  ['missing-unstored', (r) => r.missingUnstored],
  ['dup-shown', (r) => r.duplicatesShown],
  ['order', (r) => r.orderViolations],
  ['non-member', (r) => r.nonMemberDeliveries],
  ['false-delivered', (r) => r.falseDelivered],
  ['offline-but-online', (r) => r.offlineWhileOnline],
  ['lost-acks', (r) => r.lostAcks],
  ['stored-twice', (r) => r.storedTwice],
  ['gaps', (r) => r.gaps],
  ['phantoms', (r) => r.phantoms],
  ['ack-mismatch', (r) => r.ackMismatches],
  ['first-cross-node-ms', (r) => r.firstCrossNodeMs ?? '-'],
];

/** One line: the counts a scenario is judged by. */
export function formatReport(r: CheckReport): string {
  return `| ${r.scenario.padEnd(24)} | ${REPORT_COLUMNS.map(([k, f]) => `${k}=${f(r)}`).join(' | ')} |`;
}
