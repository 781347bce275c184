/**
 * Per-code-point helpers for the dirty-word filter. Folding maps one code
 * point to exactly one code point so that positions in the folded text line
 * up with positions in the original text (String#toLowerCase on a whole
 * string may change its length, e.g. 'İ' → 'i̇').
 */

const LATIN_WORD_CHAR = /[\p{Script=Latin}\p{Nd}\p{M}]/u;

/** Case-folds one code point to one code point. */
export function foldCodePoint(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp;
  const lower = String.fromCodePoint(cp).toLowerCase();
  // A multi-code-point lowering keeps its base letter ('İ' → 'i'): good enough to match on.
  return lower.codePointAt(0) ?? cp;
}

/**
 * True for characters that make up a Latin-script word: Latin letters,
 * decimal digits and combining marks. A Latin pattern only matches where
 * the neighbouring characters are not of this kind (word boundaries).
 */
export function isLatinWordChar(cp: number): boolean {
  if (cp < 0x80) {
    return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  }
  return LATIN_WORD_CHAR.test(String.fromCodePoint(cp));
}

/** The folded code points of a string. */
export function foldedCodePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(foldCodePoint(ch.codePointAt(0) ?? 0));
  return out;
}
