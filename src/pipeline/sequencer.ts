/**
 * Per-session sequence tracking (MoldUDP64-style): each frame says the
 * sequence number of its first tick and how many ticks it holds. A frame
 * that starts past the expected number opens a gap [expected, first-1];
 * one that lies wholly below it is a duplicate; one that overlaps is
 * counted out of order and only its new ticks are taken.
 *
 * @example
 * ```ts
 * import { Sequencer, SeqResult } from "./sequencer.ts";
 * const s = new Sequencer(4);
 * s.onFrame(0, 0, 1, 10); // 1..10 in order
 * console.log(s.onFrame(0, 0, 15, 1) === SeqResult.gap, s.gapFirst, s.gapLast); // true 11 14
 * ```
 * @module
 */

/** What onFrame decided. */
export const SeqResult = {
  inOrder: 0,
  gap: 1,
  duplicate: 2,
  overlap: 3,
  sessionOverflow: 4,
} as const;

/** Tracks the next expected sequence number of each session. */
export class Sequencer {
  /** Gap range of the last `gap` result. */
  gapFirst = 0;
  gapLast = 0;
  /** Ticks of the last frame already seen (skip them). */
  skip = 0;
  /** Session index of the last frame. */
  session = -1;
  gaps = 0;
  missing = 0;
  duplicates = 0;
  outOfOrder = 0;
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private readonly next: Float64Array;
  private n = 0;

  constructor(readonly capacity = 256) {
    this.lo = new Uint32Array(capacity);
    this.hi = new Uint32Array(capacity);
    this.next = new Float64Array(capacity);
  }

  /** Number of sessions seen. */
  get sessions(): number {
    return this.n;
  }

  /** Classifies a frame of `count` ticks starting at `first`. */
  onFrame(sLo: number, sHi: number, first: number, count: number): number {
    let i = 0;
    while (i < this.n && (this.lo[i] !== sLo || this.hi[i] !== sHi)) i++;
    this.skip = 0;
    if (i === this.n) {
      if (this.n === this.capacity) {
        this.session = -1;
        return SeqResult.sessionOverflow;
      }
      this.lo[i] = sLo;
      this.hi[i] = sHi;
      this.next[i] = first + count;
      this.n++;
      this.session = i;
      return SeqResult.inOrder;
    }
    this.session = i;
    const expected = this.next[i];
    if (first === expected) {
      this.next[i] = first + count;
      return SeqResult.inOrder;
    }
    if (first > expected) {
      this.gapFirst = expected;
      this.gapLast = first - 1;
      this.gaps++;
      this.missing += first - expected;
      this.next[i] = first + count;
      return SeqResult.gap;
    }
    if (first + count <= expected) {
      this.duplicates++;
      this.skip = count;
      return SeqResult.duplicate;
    }
    this.outOfOrder++;
    this.skip = expected - first;
    this.next[i] = first + count;
    return SeqResult.overlap;
  }
}
