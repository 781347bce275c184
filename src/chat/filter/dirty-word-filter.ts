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

/** The text as folded code points, with UTF-16 offsets back into the original. */
interface PreparedText {
  codePoints: Int32Array;
  wordChar: Uint8Array;
  /** offsets[i] = UTF-16 offset of code point i; offsets[length] = text.length. */
  offsets: Int32Array;
  length: number;
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
    const { spans } = this.maskedSpans(prepared);
    if (spans.length === 0) return text;
    let out = '';
    let from = 0;
    for (const span of spans) {
      out += text.slice(from, prepared.offsets[span.start]) + MASK.repeat(span.end - span.start + 1);
      from = prepared.offsets[span.end + 1]!;
    }
    return out + text.slice(from);
  }

  /** True when `clean` would change the text. */
  test(text: string): boolean {
    return this.clean(text) !== text;
  }

  /** Every occurrence of a listed word, ordered by end then by start. */
  matches(text: string): FilterMatch[] {
    if (this.automaton.size === 0 || text.length === 0) return [];
    const prepared = prepare(text);
    const found: FilterMatch[] = [];
    this.automaton.scan(prepared, false, (m) => {
      const start = prepared.offsets[m.start]!;
      const end = prepared.offsets[m.end + 1]!;
      found.push({ start, end, text: text.slice(start, end) });
    });
    found.sort((a, b) => a.end - b.end || a.start - b.start);
    return found;
  }

  /** The work a `clean` of this text costs, counted in automaton steps. */
  scanStats(text: string): ScanStats {
    return this.maskedSpans(prepare(text)).stats;
  }

  /** Disjoint, sorted code-point spans to mask. */
  private maskedSpans(prepared: PreparedText): { spans: CodePointMatch[]; stats: ScanStats } {
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
    return { spans, stats };
  }
}

/**
 * Scratch space for prepare, reused by every call: a filter runs on every
 * message, and three typed arrays allocated per message are most of what a
 * short text's scan costs. A PreparedText is only used before the next
 * prepare (clean, matches and scanStats are synchronous), so one set is enough.
 */
let scratch = {
  codePoints: new Int32Array(256),
  wordChar: new Uint8Array(256),
  offsets: new Int32Array(257),
};

const ASCII_FOLDED = Int32Array.from({ length: 0x80 }, (_, cp) => foldCodePoint(cp));
const ASCII_WORD_CHAR = Uint8Array.from({ length: 0x80 }, (_, cp) => (isLatinWordChar(cp) ? 1 : 0));

function prepare(text: string): PreparedText {
  // At most one code point per UTF-16 unit: size for the worst case, then view the used part.
  if (scratch.codePoints.length < text.length) {
    const size = Math.max(text.length, scratch.codePoints.length * 2);
    scratch = {
      codePoints: new Int32Array(size),
      wordChar: new Uint8Array(size),
      offsets: new Int32Array(size + 1),
    };
  }
  const { codePoints, wordChar, offsets } = scratch;
  // ASCII, most of a game's chat, by table; from the first other character on, by code point.
  let n = 0;
  for (; n < text.length; n++) {
    const unit = text.charCodeAt(n);
    if (unit >= 0x80) break;
    codePoints[n] = ASCII_FOLDED[unit]!;
    wordChar[n] = ASCII_WORD_CHAR[unit]!;
    offsets[n] = n;
  }
  for (let at = n; at < text.length; n++) {
    const cp = text.codePointAt(at)!;
    codePoints[n] = foldCodePoint(cp);
    wordChar[n] = isLatinWordChar(cp) ? 1 : 0;
    offsets[n] = at;
    at += cp > 0xffff ? 2 : 1;
  }
  offsets[n] = text.length;
  return { codePoints: codePoints.subarray(0, n), wordChar: wordChar.subarray(0, n), offsets, length: n };
}
