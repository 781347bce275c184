import { extractWords } from '../../src/chat/hotwords';

describe('extractWords', () => {
  it('splits English, lower-cases and drops stop words, numbers and single letters', () => {
    expect(extractWords('The Dragon is in the CASTLE, 42 times! x marks a spot')).toEqual([
      'dragon',
      'castle',
      'times',
      'marks',
      'spot',
    ]);
  });

  it('keeps contractions as one word', () => {
    expect(extractWords("Don't stop, we're winning")).toEqual(['stop', "we're", 'winning']);
  });

  it('segments Chinese by words and drops Chinese stop words', () => {
    expect(extractWords('我今天在玩游戏，真的很好玩！')).toEqual(['今天', '玩', '游戏', '真的', '好玩']);
  });

  it('handles mixed Chinese and English text', () => {
    expect(extractWords('我们一起打Boss吧，Boss掉落了传说装备123')).toEqual([
      '一起',
      '打',
      'boss',
      'boss',
      '掉落',
      '传说',
      '装备',
    ]);
  });

  it('ignores punctuation, emoji and whitespace', () => {
    expect(extractWords('  ...!!! 😀🎉 -- ')).toEqual([]);
    expect(extractWords('')).toEqual([]);
  });

  it('caps the number of words per message', () => {
    const text = Array.from({ length: 100 }, (_, i) => `word${String.fromCharCode(97 + (i % 26))}`).join(' ');
    expect(extractWords(text)).toHaveLength(32);
    expect(extractWords(text, { maxWords: 5 })).toHaveLength(5);
    expect(extractWords(text, { maxWords: 0 })).toEqual([]);
  });

  it('skips words longer than the length cap', () => {
    const long = 'a'.repeat(33);
    expect(extractWords(`${long} short`)).toEqual(['short']);
    expect(extractWords(`${'b'.repeat(32)} short`)).toEqual(['b'.repeat(32), 'short']);
    expect(extractWords('hello world', { maxWordLength: 4 })).toEqual([]);
  });
});

describe('extractWords fast path for ASCII text', () => {
  const icu = new Intl.Segmenter('zh', { granularity: 'word' });
  const samples = [
    "Hello there, don't stop! 3.14 is pi; end.Next foo_bar x2 v1.2.3 e-mail  it's 42",
    "The quick brown fox jumps over the lazy dog 12:30 a.b.c U.S.A. rock'n'roll",
    'gg wp!!! need 2 more for raid @ 9pm -- pls lfg #guild',
  ];
  it.each(samples)('finds the same words as ICU segmentation: %s', (text) => {
    const viaIcu = [...icu.segment(text)].filter((s) => s.isWordLike).map((s) => s.segment);
    // A non-ASCII character sends the same text down the ICU path.
    expect(extractWords(text, { maxWords: 100 })).toEqual(
      extractWords(`${text} é`, { maxWords: 100 }).filter((w) => w !== 'é'),
    );
    expect(viaIcu.length).toBeGreaterThan(0);
  });
});

describe('extractWords on ASCII text, against the regular expression it replaced', () => {
  /** The earlier ASCII path: one regex match per word, the same rules after it (no stop words: see ALPHABET). */
  function viaRegex(text: string, maxWords: number, maxWordLength: number): string[] {
    const words: string[] = [];
    for (const match of text.toLowerCase().matchAll(/[A-Za-z0-9_]+(?:['.][A-Za-z0-9_]+)*/g)) {
      const word = match[0];
      if (word.length > maxWordLength || /^[0-9]+$/.test(word)) continue;
      if (word.length < 2 && word >= 'a' && word <= 'z') continue;
      words.push(word);
      if (words.length >= maxWords) break;
    }
    return words;
  }
  // Word characters and joiners often, so that runs, inner and trailing joiners and lone
  // characters come up; no letter of any English stop word, so the stop list drops nothing.
  const ALPHABET = "bBzZxqjk09_5''..  ,!-?:;\t@#";
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const cases = Array.from({ length: 300 }, () =>
    Array.from({ length: 1 + random(60) }, () => ALPHABET[random(ALPHABET.length)]).join(''),
  );

  it.each([
    [1000, 32],
    [3, 4],
  ])(
    'finds the same words in 300 random texts (at most %i words of at most %i characters)',
    (maxWords, maxWordLength) => {
      for (const text of cases)
        expect([text, extractWords(text, { maxWords, maxWordLength })]).toEqual([
          text,
          viaRegex(text, maxWords, maxWordLength),
        ]);
    },
  );
});
