/**
 * Per-session sequence tracking (MoldUDP64-style): each frame says the
 * sequence number of its first tick and how many ticks it holds. A frame
 * that starts past the expected number opens a gap [expected, first-1];
 * one that lies wholly below it is a duplicate; one that overlaps is
 * counted out of order and only its new ticks are taken.
 *
 * It reads the frame header itself: 64-bit values are rebuilt from their
 * halves inside this method and never cross a call boundary as doubles,
 * which V8 would box (an allocation per frame).
 *
 * @example
 * ```ts
 * import { Sequencer, SeqResult } from "./sequencer.ts";
 * import { FrameReader } from "../wire/frame.ts";
 * import { encodeFrame } from "../wire/encode.ts";
 * const s = new Sequencer(4), r = new FrameReader();
 * const f = (first: number) => encodeFrame({ session: 1, firstSeq: first, ticks: [] });
 * const a = f(1), b = f(5);
 * r.open(a, 0, a.length);
 * s.onFrame(r.header, 4); // 1..4 in order
 * r.open(b, 0, b.length);
 * console.log(s.onFrame(r.header, 4) === SeqResult.inOrder); // true
 * ```
 * @module
 */
import type { FrameHeader } from "../wire/generated/tickwire_generated.ts";

/** What onFrame decided. */
export const SeqResult = {
  inOrder: 0,
  gap: 1,
  duplicate: 2,
  overlap: 3,
  sessionOverflow: 4,
} as const;

const TWO32 = 4294967296;

/** Tracks the next expected sequence number of each session. */
export class Sequencer {
  /** Gap range of the last `gap` result. */
  gapFirst = 0;
  gapLast = 0;
  /** Ticks at the start of the last frame already seen (skip them). */
  skip = 0;
  /** Session index of the last frame (-1: table full). */
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

  /** Forgets every session (a replay starts over). Allocation-free. */
  reset(): void {
    this.n = 0;
  }

  /** Number of sessions seen. */
  get sessions(): number {
    return this.n;
  }

  /** Classifies a frame whose header is `h` and that holds `count` ticks. */
  onFrame(h: FrameHeader, count: number): number {
    const sLo = h.sessionLo(), sHi = h.sessionHi();
    const first = h.firstSeqHi() * TWO32 + h.firstSeqLo();
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
