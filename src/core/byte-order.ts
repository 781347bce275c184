/**
 * Compares two strings by their UTF-8 bytes, the order SQLite's BINARY
 * collation and Redis sorted-set ties use (JavaScript's `<` compares UTF-16
 * units, which puts characters above U+FFFF before U+E000..U+FFFF). In-memory
 * adapters sort with it so they answer in the same order as the real ones.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
