/**
 * A hand-written Aho–Corasick automaton over Unicode code points.
 *
 * States live in parallel arrays (no object per state) and transitions in one
 * Map per state, because the alphabet is all of Unicode and a dense table
 * would not fit. Scanning is linear in the text: every code point costs one
 * goto step plus amortised fail steps (at most one per goto step in total),
 * and reporting walks an output chain that is never longer than the longest
 * pattern.
 */

/** One pattern occurrence in code-point indices; `end` is inclusive. */
export interface CodePointMatch {
  start: number;
  end: number;
}

/** Work done by one scan, for tests and benchmarks (not wall-clock). */
export interface ScanStats {
  /** Code points read. */
  codePoints: number;
  /** Goto transitions plus fail-link moves; at most 2 × codePoints. */
  transitions: number;
  /** Output-chain states examined when reporting matches. */
  outputSteps: number;
}

export interface PatternInput {
  /** Folded code points of the pattern. */
  codePoints: readonly number[];
  /** The character before a match must not be a Latin word character. */
  boundaryBefore: boolean;
  /** The character after a match must not be a Latin word character. */
  boundaryAfter: boolean;
}

export interface ScanInput {
  /** Folded code points of the text. */
  codePoints: ArrayLike<number>;
  /** Per code point: 1 if it is a Latin word character (for boundary checks). */
  wordChar: ArrayLike<number>;
}

const NONE = -1;

/** Entries of the ASCII transition table past which a filter goes without it (16 MiB). */
const MAX_ASCII_STEPS = 4 * 1024 * 1024;

export class AhoCorasick {
  private readonly next: Map<number, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  private readonly depth: number[] = [0];
  private readonly terminal: boolean[] = [false];
  private readonly boundaryBefore: boolean[] = [false];
  private readonly boundaryAfter: boolean[] = [false];
  /** Nearest proper suffix state that ends a pattern, or NONE. */
  private readonly output: number[] = [NONE];
  private patternCount = 0;
  /** Column of each ASCII code point in `asciiStep` (0: in no pattern). */
  private readonly asciiColumn = new Uint8Array(128);
  private asciiColumns = 1;
  /**
   * For ASCII text, the state after each (state, column), fail links already
   * followed: one array read per character instead of a Map look-up and a
   * walk up the fail links. Empty when the table would be too large.
   */
  private asciiStep = new Int32Array(0);

  constructor(patterns: Iterable<PatternInput>) {
    for (const p of patterns) this.insert(p);
    const order = this.link();
    this.buildAsciiSteps(order);
  }

  get size(): number {
    return this.patternCount;
  }

  private insert(p: PatternInput): void {
    if (p.codePoints.length === 0) return;
    let state = 0;
    for (const cp of p.codePoints) {
      const edges = this.next[state]!;
      let to = edges.get(cp);
      if (to === undefined) {
        to = this.next.length;
        edges.set(cp, to);
        this.next.push(new Map());
        this.fail.push(0);
        this.depth.push(this.depth[state]! + 1);
        this.terminal.push(false);
        this.boundaryBefore.push(false);
        this.boundaryAfter.push(false);
        this.output.push(NONE);
      }
      state = to;
    }
    if (!this.terminal[state]) this.patternCount++;
    this.terminal[state] = true;
    // The same folded pattern from two spellings: the stricter rule wins.
    this.boundaryBefore[state] = this.boundaryBefore[state]! || p.boundaryBefore;
    this.boundaryAfter[state] = this.boundaryAfter[state]! || p.boundaryAfter;
  }

  /** Breadth-first construction of fail and output links; returns the states in that order. */
  private link(): number[] {
    const queue: number[] = [];
    for (const child of this.next[0]!.values()) queue.push(child);
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      for (const [cp, child] of this.next[state]!) {
        let f = this.fail[state]!;
        while (f !== 0 && !this.next[f]!.has(cp)) f = this.fail[f]!;
        const target = this.next[f]!.get(cp);
        const failTo = target !== undefined && target !== child ? target : 0;
        this.fail[child] = failTo;
        this.output[child] = this.terminal[failTo] ? failTo : this.output[failTo]!;
        queue.push(child);
      }
    }
    return queue;
  }

  /**
   * The ASCII transition table, filled in breadth-first order so that a
   * state's fail target (always shallower) is done before the state.
   */
  private buildAsciiSteps(order: readonly number[]): void {
    for (const edges of this.next)
      for (const cp of edges.keys())
        if (cp < 128 && this.asciiColumn[cp] === 0) this.asciiColumn[cp] = this.asciiColumns++;
    const width = this.asciiColumns;
    if (this.next.length * width > MAX_ASCII_STEPS) return;
    const step = new Int32Array(this.next.length * width);
    for (const state of [0, ...order]) {
      const row = state * width;
      const failRow = this.fail[state]! * width;
      for (let cp = 0; cp < 128; cp++) {
        const column = this.asciiColumn[cp]!;
        if (column === 0) continue;
        const to = this.next[state]!.get(cp);
        step[row + column] = to ?? (state === 0 ? 0 : step[failRow + column]!);
      }
    }
    this.asciiStep = step;
  }

  /**
   * Reports pattern occurrences that satisfy their boundary rules, in order
   * of their end position. With `longestOnly`, reports at most one match per
   * end position (the longest valid one), which is all masking needs.
   */
  scan(input: ScanInput, longestOnly: boolean, report: (m: CodePointMatch) => void): ScanStats {
    const { codePoints, wordChar } = input;
    const n = codePoints.length;
    const stats: ScanStats = { codePoints: n, transitions: 0, outputSteps: 0 };
    const step = this.asciiStep.length > 0 ? this.asciiStep : undefined;
    const width = this.asciiColumns;
    let state = 0;
    for (let i = 0; i < n; i++) {
      const cp = codePoints[i]!;
      if (cp < 128 && step) {
        state = step[state * width + this.asciiColumn[cp]!]!;
        stats.transitions++;
        this.reportEndingAt(state, i, n, wordChar, longestOnly, stats, report);
        continue;
      }
      let to = this.next[state]!.get(cp);
      while (to === undefined && state !== 0) {
        state = this.fail[state]!;
        stats.transitions++;
        to = this.next[state]!.get(cp);
      }
      state = to ?? 0;
      stats.transitions++;
      this.reportEndingAt(state, i, n, wordChar, longestOnly, stats, report);
    }
    return stats;
  }

  /** Reports the patterns that end in `state` at code point `i`. */
  private reportEndingAt(
    state: number,
    i: number,
    n: number,
    wordChar: ArrayLike<number>,
    longestOnly: boolean,
    stats: ScanStats,
    report: (m: CodePointMatch) => void,
  ): void {
    let t = this.terminal[state] ? state : this.output[state]!;
    while (t !== NONE) {
      stats.outputSteps++;
      const start = i - this.depth[t]! + 1;
      const okBefore = !this.boundaryBefore[t] || start === 0 || !wordChar[start - 1];
      const okAfter = !this.boundaryAfter[t] || i + 1 === n || !wordChar[i + 1];
      if (okBefore && okAfter) {
        report({ start, end: i });
        if (longestOnly) return;
      }
      t = this.output[t]!;
    }
  }
}
