import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirtyWordFilter, loadWordList, parseWordList } from '../../src/chat/filter';

const codePointLength = (s: string): number => [...s].length;

describe('DirtyWordFilter', () => {
  it('gives the same answers whatever texts it cleaned before (long ones, short ones, growing past its scratch space)', () => {
    const f = DirtyWordFilter.fromWords(['damn', 'hell']);
    const long = `${'word '.repeat(300)}damn ${'x'.repeat(700)} hell`;
    const expectedLong = long.replace('damn', '****').replace(' hell', ' ****');
    expect(f.clean(long)).toBe(expectedLong);
    expect(f.clean('oh hell')).toBe('oh ****');
    expect(f.clean('hello')).toBe('hello');
    expect(f.matches('damned hell')).toEqual([{ start: 7, end: 11, text: 'hell' }]);
    expect(f.clean(long)).toBe(expectedLong);
    expect(f.clean('damn')).toBe('****');
  });

  it('masks English words with one star per character', () => {
    const f = DirtyWordFilter.fromWords(['damn', 'hell']);
    expect(f.clean('well damn, what the hell')).toBe('well ****, what the ****');
  });

  it('masks Chinese words anywhere, without spaces', () => {
    const f = DirtyWordFilter.fromWords(['傻逼', '他妈的']);
    expect(f.clean('你这个傻逼真是他妈的烦')).toBe('你这个**真是***烦');
  });

  it('is case-insensitive and keeps the other characters as written', () => {
    const f = DirtyWordFilter.fromWords(['Damn']);
    expect(f.clean('DAMN it, Damn, dAmN')).toBe('**** it, ****, ****');
    expect(f.clean('Hello World')).toBe('Hello World');
  });

  it('folds non-ASCII letters per code point', () => {
    const f = DirtyWordFilter.fromWords(['ärger', 'σκατά']);
    expect(f.clean('ÄRGER und ΣΚΑΤΆ')).toBe('***** und *****');
  });

  it('keeps the code point length with astral characters and emoji around', () => {
    const f = DirtyWordFilter.fromWords(['damn', '傻逼', '🖕']);
    const text = '😀damn😀 𠮷傻逼𠮷 👍🖕👍 🏳️‍🌈 damn';
    const cleaned = f.clean(text);
    expect(cleaned).toBe('😀****😀 𠮷**𠮷 👍*👍 🏳️‍🌈 ****');
    expect(codePointLength(cleaned)).toBe(codePointLength(text));
    // A lone surrogate (invalid UTF-16 from a client) passes through untouched.
    expect(f.clean('\uD800damn\uDC00 damn')).toBe('\uD800****\uDC00 ****');
  });

  it('merges overlapping matches into one masked span', () => {
    const f = DirtyWordFilter.fromWords(['他妈', '妈的', '他妈的蛋']);
    expect(f.clean('说他妈的话')).toBe('说***话');
    expect(f.clean('他妈的蛋')).toBe('****');
    const g = DirtyWordFilter.fromWords(['ab cd', 'cd ef']);
    expect(g.clean('x ab cd ef y')).toBe('x ******** y');
  });

  it('masks nested matches (a pattern inside a longer one) once', () => {
    const f = DirtyWordFilter.fromWords(['he', 'she', 'his', 'hers', '卧槽', '槽']);
    expect(f.clean('ushers')).toBe('ushers'); // Latin: no whole-word match
    expect(f.clean('u hers')).toBe('u ****');
    expect(f.clean('卧槽槽')).toBe('***');
  });

  describe('word boundaries for Latin patterns', () => {
    const f = DirtyWordFilter.fromWords(['ass', 'cock', '2 girls 1 cup', 'g-spot']);

    it('does not mask inside longer Latin words', () => {
      expect(f.clean('a class assignment in Scunthorpe about peacocks')).toBe(
        'a class assignment in Scunthorpe about peacocks',
      );
      expect(f.clean('ass123 and x2 girls 1 cup')).toBe('ass123 and x2 girls 1 cup');
    });

    it('masks whole words next to punctuation, spaces, CJK and text edges', () => {
      expect(f.clean('ass')).toBe('***');
      expect(f.clean('(ass), cock! "ASS"')).toBe('(***), ****! "***"');
      expect(f.clean('你是ass吗')).toBe('你是***吗');
      expect(f.clean('find the G-Spot.')).toBe('find the ******.');
      expect(f.clean('2 girls 1 cup')).toBe('*************');
    });

    it('treats accented Latin letters as part of a word', () => {
      expect(f.clean('assé')).toBe('assé');
      expect(f.clean('éass')).toBe('éass');
    });
  });

  it('CJK patterns match inside Latin-free runs and next to Latin letters', () => {
    const f = DirtyWordFilter.fromWords(['操你']);
    expect(f.clean('abc操你abc')).toBe('abc**abc');
  });

  it('reports matches with UTF-16 offsets into the original text', () => {
    const f = DirtyWordFilter.fromWords(['damn', '傻逼']);
    const text = '😀DAMN 傻逼';
    expect(f.matches(text)).toEqual([
      { start: 2, end: 6, text: 'DAMN' },
      { start: 7, end: 9, text: '傻逼' },
    ]);
    expect(f.test(text)).toBe(true);
    expect(f.test('clean text')).toBe(false);
  });

  it('finds what a naive search finds, in ASCII, mixed and astral text (table and map paths alike)', () => {
    // Small alphabets make overlaps, fail links and boundaries frequent.
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const pick = (alphabet: string[], length: number): string =>
      Array.from({ length }, () => alphabet[random(alphabet.length)]!).join('');
    const latin = ['a', 'b', 'A', 'c', ' ', '.', '1', 'é'];
    const mixed = [...latin, '卧', '槽', '😀'];
    const isWord = (ch: string | undefined): boolean =>
      ch !== undefined && /[\p{Script=Latin}\p{Nd}\p{M}]/u.test(ch);
    for (let round = 0; round < 200; round++) {
      const alphabet = round % 2 === 0 ? latin : mixed;
      const words = Array.from({ length: 1 + random(6) }, () => pick(alphabet, 1 + random(4)).trim()).filter(
        (w) => w.length > 0,
      );
      const f = DirtyWordFilter.fromWords(words);
      const text = pick(alphabet, random(60));
      const chars = [...text];
      const offsets: number[] = [];
      chars.reduce((at, ch) => (offsets.push(at), at + ch.length), 0);
      const expected: Array<{ start: number; end: number; text: string }> = [];
      const folded = [...new Set(words.map((w) => [...w].map((c) => c.toLowerCase()[0]!).join('')))];
      for (let end = 1; end <= chars.length; end++)
        for (let start = end - 1; start >= 0; start--) {
          const piece = chars.slice(start, end);
          const word = folded.find((w) => w === piece.map((c) => c.toLowerCase()[0]!).join(''));
          if (word === undefined) continue;
          const first = [...word][0],
            last = [...word].at(-1);
          if (isWord(first) && isWord(chars[start - 1])) continue;
          if (isWord(last) && isWord(chars[end])) continue;
          const from = offsets[start]!;
          const to = end < chars.length ? offsets[end]! : text.length;
          expected.push({ start: from, end: to, text: text.slice(from, to) });
        }
      expected.sort((a, b) => a.end - b.end || a.start - b.start);
      expect({ words, text, found: f.matches(text) }).toEqual({ words, text, found: expected });
    }
  });

  it('matches lists every valid occurrence, including nested ones', () => {
    const f = DirtyWordFilter.fromWords(['他妈', '他妈的', '妈的']);
    expect(f.matches('他妈的').map((m) => m.text)).toEqual(['他妈', '他妈的', '妈的']);
  });

  it('works with an empty list and with empty text', () => {
    const empty = DirtyWordFilter.fromWords([]);
    expect(empty.size).toBe(0);
    expect(empty.clean('anything at all 傻逼')).toBe('anything at all 傻逼');
    expect(empty.matches('anything')).toEqual([]);
    const f = DirtyWordFilter.fromWords(['damn', '  ', '']);
    expect(f.size).toBe(1);
    expect(f.clean('')).toBe('');
  });

  it('counts the same folded word once', () => {
    expect(DirtyWordFilter.fromWords(['Damn', 'damn', ' DAMN ']).size).toBe(1);
  });

  it('scans in a number of automaton steps linear in the text', () => {
    // Patterns that force long fail chains on a naive matcher.
    const words = ['a'.repeat(50) + 'b', 'a'.repeat(20) + 'c', 'aaab', '卧槽'];
    const f = DirtyWordFilter.fromWords(words);
    for (const n of [1_000, 10_000, 100_000]) {
      const text = 'a'.repeat(n);
      const stats = f.scanStats(text);
      expect(stats.codePoints).toBe(n);
      expect(stats.transitions).toBeLessThanOrEqual(2 * n);
      expect(stats.outputSteps).toBe(0);
    }
    // With matches, output steps are bounded by text length × longest pattern.
    const g = DirtyWordFilter.fromWords(['卧', '卧卧', '卧卧卧']);
    const text = '卧'.repeat(10_000);
    const stats = g.scanStats(text);
    expect(stats.transitions).toBeLessThanOrEqual(2 * 10_000);
    expect(stats.outputSteps).toBeLessThanOrEqual(3 * 10_000);
    expect(g.clean(text)).toBe('*'.repeat(10_000));
  });

  it('loads the bundled word list and masks samples from it', async () => {
    const words = await loadWordList(join(__dirname, '../../resources/dirty-words.txt'));
    expect(words.length).toBeGreaterThan(500);
    expect(words.some((w) => w.startsWith('#'))).toBe(false);
    const f = DirtyWordFilter.fromWords(words);
    expect(f.clean('what a bastard')).toBe('what a *******');
    expect(f.clean('看三级片')).toBe('看***');
    expect(f.clean('a classic assignment')).toBe('a classic assignment');
  });
});

describe('word list parsing', () => {
  it('ignores comments and blank lines, trims and deduplicates', () => {
    const text = '# header\n\n  damn  \r\nDamn\n傻逼\n   \n# another\nhell\n傻逼\n';
    expect(parseWordList(text)).toEqual(['damn', '傻逼', 'hell']);
  });

  it('reads a file from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'words-'));
    try {
      const file = join(dir, 'words.txt');
      writeFileSync(file, '# test\nfoo\nbar\n');
      await expect(loadWordList(file)).resolves.toEqual(['foo', 'bar']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
