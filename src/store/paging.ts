import { InvalidArgument } from '../core/errors';
import type { Page, StoredMessage } from './types';

/**
 * Page cursors are opaque to callers; inside they hold the lowest seq already
 * returned, so the next page asks for seq below it. Seq is unique per
 * conversation, which is what makes every message appear exactly once.
 */
export function encodeCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number | null {
  if (cursor === undefined || cursor === '') return null;
  if (typeof cursor !== 'string' || cursor.length > 64) throw badCursor();
  const match = /^seq:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const seq = match?.[1] === undefined ? NaN : Number(match[1]);
  if (!Number.isSafeInteger(seq) || seq < 1) throw badCursor();
  return seq;
}

function badCursor(): InvalidArgument {
  return new InvalidArgument('The page cursor is not one this server handed out.');
}

/** Builds a page from up to limit+1 rows (newest first): the extra row only says "there is more". */
export function toPage(rows: StoredMessage[], limit: number): Page {
  const messages = rows.slice(0, limit);
  const last = messages[messages.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last.seq) : '';
  return { messages, nextCursor };
}
