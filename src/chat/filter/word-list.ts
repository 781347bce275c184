import { readFile } from 'node:fs/promises';

/**
 * Parses a word list: one word per line, `#` starts a comment line, blank
 * lines are ignored, words are trimmed and deduplicated case-insensitively
 * (first spelling kept, order preserved).
 */
export function parseWordList(text: string): string[] {
  const seen = new Set<string>();
  const words: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const word = line.trim();
    if (word.length === 0 || word.startsWith('#')) continue;
    const key = word.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    words.push(word);
  }
  return words;
}

/** Reads and parses a word list file (UTF-8). */
export async function loadWordList(path: string): Promise<string[]> {
  return parseWordList(await readFile(path, 'utf8'));
}
