/**
 * Chat texts that carry their own send time: "b <µs> <sender> <seq> <filler>".
 * The numbers are digits only, so the hot-words counter skips them the way
 * it skips any number, and the filler is ordinary game chat that it counts.
 * The time is performance.now() of the load generator, which is also the
 * receiving process, so receive − send needs no clock synchronisation.
 */
const FILLER =
  'gg team meet at the north gate after the raid bring potions and arrows dragon boss drops loot soon ';

export interface PayloadStamp {
  sentMs: number;
  sender: number;
  seq: number;
}

export function makeText(sentMs: number, sender: number, seq: number, sizeChars: number): string {
  const head = `b ${Math.round(sentMs * 1000)} ${sender} ${seq} `;
  let text = head;
  for (let i = 0; text.length < sizeChars && i < 100; i++) text += FILLER;
  return text.length > sizeChars ? text.slice(0, Math.max(sizeChars, head.length)).trimEnd() : text;
}

/** Undefined for a text the bench did not write. */
export function parseText(text: string): PayloadStamp | undefined {
  if (!text.startsWith('b ')) return undefined;
  const [, micros, sender, seq] = text.split(' ', 4);
  const stamp = { sentMs: Number(micros) / 1000, sender: Number(sender), seq: Number(seq) };
  return Number.isFinite(stamp.sentMs) && Number.isInteger(stamp.sender) && Number.isInteger(stamp.seq)
    ? stamp
    : undefined;
}

/** Key of one message in the delivery tracker. */
export function messageKey(sender: number, seq: number): string {
  return `${sender}:${seq}`;
}
