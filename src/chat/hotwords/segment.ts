/**
 * Splits a chat message into the words counted by the hot-words leaderboard.
 * Intl.Segmenter with the 'zh' locale segments Chinese by dictionary and
 * everything else by UAX #29 word rules, so mixed text works in one pass.
 */

export interface SegmentOptions {
  /** At most this many words are counted per message (default 32). */
  maxWords?: number;
  /** Longer words are skipped, not truncated (default 32 code points). */
  maxWordLength?: number;
}

const DEFAULT_MAX_WORDS = 32;
const DEFAULT_MAX_WORD_LENGTH = 32;

/** Words too common to say anything about what people talk about. */
const STOP_WORDS: ReadonlySet<string> = new Set(
  [
    "a an and are as at be but by do don't for from has have he her his i i'm if in is it its it's",
    'me my no not of on or our she so that the their them then there they this to too up us was we',
    'were what when with you your',
    '的 了 是 在 我 你 他 她 它 们 我们 你们 他们 这 那 这个 那个 就 也 都 和 与 吗 呢 吧 啊 呀 哦 嗯',
    '很 不 没 有 个 一 一个 着 过 把 被 让 给 还 又 要',
  ]
    .join(' ')
    .split(' '),
);

/** Stateless once built and costly to build, so one per process is shared. */
const SEGMENTER = new Intl.Segmenter('zh', { granularity: 'word' });

const DIGITS_ONLY = /^\p{Nd}+$/u;
const LATIN_ONLY = /^[\p{Script=Latin}\p{M}'’]+$/u;

/**
 * The lower-cased words of a message worth counting: word-like segments,
 * without pure numbers, one-letter Latin words and stop words, each at most
 * `maxWordLength` code points, at most `maxWords` of them (repeats included,
 * so a message repeating one word counts it repeatedly up to the cap).
 */
export function extractWords(text: string, options: SegmentOptions = {}): string[] {
  const maxWords = options.maxWords ?? DEFAULT_MAX_WORDS;
  const maxWordLength = options.maxWordLength ?? DEFAULT_MAX_WORD_LENGTH;
  const words: string[] = [];
  if (maxWords <= 0) return words;
  if (!NON_ASCII.test(text)) return asciiWords(text, maxWords, maxWordLength, words);
  for (const segment of segments(text)) {
    const word = segment.toLowerCase();
    if (DIGITS_ONLY.test(word)) continue;
    const length = codePointLength(word, maxWordLength + 1);
    if (length > maxWordLength) continue;
    if (length < 2 && LATIN_ONLY.test(word)) continue;
    if (STOP_WORDS.has(word)) continue;
    words.push(word);
    if (words.length >= maxWords) break;
  }
  return words;
}

// eslint-disable-next-line no-control-regex -- the ASCII range starts at U+0000 on purpose
const NON_ASCII = /[^\x00-\x7f]/;
/**
 * Word-like segments by ICU (needed for Chinese), which costs tens of
 * microseconds per message; plain ASCII text, most of a game's chat, goes
 * through asciiWords instead, which finds the same words far faster.
 */
function* segments(text: string): Generator<string> {
  for (const seg of SEGMENTER.segment(text)) if (seg.isWordLike) yield seg.segment;
}

/**
 * An ASCII word as ICU's word break sees it: letters, digits and `_`, with inner
 * `'` and `.` joining two runs ("don't", "3.14", "v1.2.3"). Sticky, and only
 * used with test(): V8 answers test() without building a match array.
 */
const ASCII_WORD_AT = /[a-z0-9_]+(?:['.][a-z0-9_]+)*/y;
const DIGITS_AT = /[0-9]+/y;
/** 1 for the characters a word starts with (ASCII_WORD_AT's class, lower case). */
const WORD_START = new Uint8Array(128);
for (let c = 0; c < 128; c++) if (/[a-z0-9_]/.test(String.fromCharCode(c))) WORD_START[c] = 1;

/**
 * extractWords for ASCII text, without the Unicode regexes: the same rules
 * (no pure numbers, no one-letter words, no stop words, bounded length). The
 * regex finds where each word ends; a match array per word was most of what a
 * message allocated on its way through the node.
 */
function asciiWords(text: string, maxWords: number, maxWordLength: number, words: string[]): string[] {
  // One lower-casing for the whole text (ASCII keeps its length).
  const lower = text.toLowerCase();
  const end = lower.length;
  for (let start = 0; start < end;) {
    if (WORD_START[lower.charCodeAt(start)] !== 1) {
      start++;
      continue;
    }
    ASCII_WORD_AT.lastIndex = start;
    ASCII_WORD_AT.test(lower);
    const stop = ASCII_WORD_AT.lastIndex;
    const length = stop - start;
    const from = start;
    start = stop;
    if (length > maxWordLength) continue;
    DIGITS_AT.lastIndex = from;
    if (DIGITS_AT.test(lower) && DIGITS_AT.lastIndex === stop) continue;
    // One letter says nothing (a lone `_` is kept, as it always was).
    if (length < 2 && lower.charCodeAt(from) >= 0x61 && lower.charCodeAt(from) <= 0x7a) continue;
    const word = lower.slice(from, stop);
    if (STOP_WORDS.has(word)) continue;
    words.push(word);
    if (words.length >= maxWords) break;
  }
  return words;
}

/** Code point count, stopping early once it passes `limit`. */
function codePointLength(s: string, limit: number): number {
  let n = 0;
  for (const _ of s) {
    if (++n >= limit) break;
  }
  return n;
}
