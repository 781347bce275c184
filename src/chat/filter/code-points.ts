/**
 * Per-code-point helpers for the dirty-word filter. Folding maps one code
 * point to exactly one code point so that positions in the folded text line
 * up with positions in the original text (String#toLowerCase on a whole
 * string may change its length, e.g. 'İ' → 'i̇').
 */

const LATIN_WORD_CHAR = /[\p{Script=Latin}\p{Nd}\p{M}]/u;

/**
 * Ranges with no case, no Latin letters, digits or marks (CJK ideographs,
 * Hangul, emoji): the bulk of Chinese chat text skips the string round trip
 * and the regex. (Kana is left out: it has combining voicing marks.)
 */
function isCaselessNonLatin(cp: number): boolean {
  return (
    (cp >= 0x3400 && cp <= 0x9fff) || // CJK extension A and unified ideographs
    (cp >= 0xac00 && cp <= 0xd7af) || // Hangul syllables
    (cp >= 0xf900 && cp <= 0xfaff) || // CJK compatibility ideographs
    (cp >= 0x1f000 && cp <= 0x1faff) || // emoji and pictographs
    (cp >= 0x20000 && cp <= 0x3ffff) // CJK extension planes
  );
}

/** Case-folds one code point to one code point. */
export function foldCodePoint(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp;
  if (isCaselessNonLatin(cp)) return cp;
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
  if (isCaselessNonLatin(cp)) return false;
  return LATIN_WORD_CHAR.test(String.fromCodePoint(cp));
}

/** The folded code points of a string. */
export function foldedCodePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(foldCodePoint(ch.codePointAt(0) ?? 0));
  return out;
}
