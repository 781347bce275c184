import { AhoCorasick } from './automaton';
import type { CodePointMatch, PatternInput, ScanStats } from './automaton';
import { foldCodePoint, foldedCodePoints, isLatinWordChar } from './code-points';

/** One occurrence of a listed word, in UTF-16 offsets of the original text. */
export interface FilterMatch {
  /** Offset of the first code unit. */
  start: number;
  /** Offset just past the last code unit. */
  end: number;
  /** The original text of the occurrence (its case as written). */
  text: string;
}

/** The text as code points, folded, with a way back to the original. */
interface PreparedText {
  original: string[];
  codePoints: number[];
  wordChar: boolean[];
}

const MASK = '*';

/**
 * Masks listed words in chat text: case-insensitive, Unicode-aware, one `*`
 * per masked code point. Latin words only match as whole words (so "class"
 * is not masked for "ass"); CJK words match anywhere. See docs/filter.md.
 */
export class DirtyWordFilter {
  private constructor(private readonly automaton: AhoCorasick) {}

  static fromWords(words: Iterable<string>): DirtyWordFilter {
    const patterns: PatternInput[] = [];
    for (const raw of words) {
      const word = raw.trim().normalize('NFC');
      if (word.length === 0) continue;
      const cps = foldedCodePoints(word);
      patterns.push({
        codePoints: cps,
        boundaryBefore: isLatinWordChar(cps[0]!),
        boundaryAfter: isLatinWordChar(cps[cps.length - 1]!),
      });
    }
    return new DirtyWordFilter(new AhoCorasick(patterns));
  }

  /** Number of distinct (folded) words in the filter. */
  get size(): number {
    return this.automaton.size;
  }

  /** The text with every listed word replaced by `*` per code point. */
  clean(text: string): string {
    if (this.automaton.size === 0 || text.length === 0) return text;
    const prepared = prepare(text);
    const masked = this.maskedFlags(prepared).flags;
    if (!masked.includes(true)) return text;
    let out = '';
    for (let i = 0; i < prepared.original.length; i++) out += masked[i] ? MASK : prepared.original[i]!;
    return out;
  }

  /** True when `clean` would change the text. */
  test(text: string): boolean {
    return this.clean(text) !== text;
  }

  /** Every occurrence of a listed word, ordered by end then by start. */
  matches(text: string): FilterMatch[] {
    if (this.automaton.size === 0 || text.length === 0) return [];
    const prepared = prepare(text);
    const offsets = utf16Offsets(prepared.original);
    const found: FilterMatch[] = [];
    this.automaton.scan(prepared, false, (m) => {
      const start = offsets[m.start]!;
      const end = offsets[m.end + 1]!;
      found.push({ start, end, text: text.slice(start, end) });
    });
    found.sort((a, b) => a.end - b.end || a.start - b.start);
    return found;
  }

  /** The work a `clean` of this text costs, counted in automaton steps. */
  scanStats(text: string): ScanStats {
    return this.maskedFlags(prepare(text)).stats;
  }

  private maskedFlags(prepared: PreparedText): { flags: boolean[]; stats: ScanStats } {
    // Spans arrive ordered by end; a later span may start before earlier ones,
    // so merge into a stack of disjoint spans (amortised linear).
    const spans: CodePointMatch[] = [];
    const stats = this.automaton.scan(prepared, true, (m) => {
      let start = m.start;
      while (spans.length > 0 && spans[spans.length - 1]!.end >= start - 1) {
        start = Math.min(start, spans.pop()!.start);
      }
      spans.push({ start, end: m.end });
    });
    const flags = new Array<boolean>(prepared.original.length).fill(false);
    for (const s of spans) for (let i = s.start; i <= s.end; i++) flags[i] = true;
    return { flags, stats };
  }
}

function prepare(text: string): PreparedText {
  const original: string[] = [];
  const folded: number[] = [];
  const wordChar: boolean[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    original.push(ch);
    folded.push(foldCodePoint(cp));
    wordChar.push(isLatinWordChar(cp));
  }
  return { original, codePoints: folded, wordChar };
}

/** offsets[i] = UTF-16 offset of code point i; offsets[n] = text length. */
function utf16Offsets(chars: readonly string[]): number[] {
  const offsets = [0];
  let at = 0;
  for (const ch of chars) {
    at += ch.length;
    offsets.push(at);
  }
  return offsets;
}
