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

  constructor(patterns: Iterable<PatternInput>) {
    for (const p of patterns) this.insert(p);
    this.link();
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

  /** Breadth-first construction of fail and output links. */
  private link(): void {
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
    let state = 0;
    for (let i = 0; i < n; i++) {
      const cp = codePoints[i]!;
      let to = this.next[state]!.get(cp);
      while (to === undefined && state !== 0) {
        state = this.fail[state]!;
        stats.transitions++;
        to = this.next[state]!.get(cp);
      }
      state = to ?? 0;
      stats.transitions++;

      let t = this.terminal[state] ? state : this.output[state]!;
      while (t !== NONE) {
        stats.outputSteps++;
        const start = i - this.depth[t]! + 1;
        const okBefore = !this.boundaryBefore[t] || start === 0 || !wordChar[start - 1];
        const okAfter = !this.boundaryAfter[t] || i + 1 === n || !wordChar[i + 1];
        if (okBefore && okAfter) {
          report({ start, end: i });
          if (longestOnly) break;
        }
        t = this.output[t]!;
      }
    }
    return stats;
  }
}
