/**
 * Per-session sequence tracking (MoldUDP64-style): each frame says the
 * sequence number of its first tick and how many ticks it holds. A frame
 * that starts past the expected number opens a gap [expected, first-1];
 * one that lies wholly below it is a duplicate; one that overlaps is
 * counted out of order and only its new ticks are taken.
 *
 * Sessions end and start again, and some frames lie:
 * - an end-of-session frame (flag bit 0) closes its session: the next frame
 *   under the same id is a new incarnation (`restart`), taken whole;
 * - a frame that starts again at sequence 1 while its session is further on
 *   is a publisher that restarted without saying so (`restart`), taken whole
 *   (unless the session started at 1 less than RECENT frames ago: then it is
 *   a late copy, a duplicate);
 * - a frame more than `maxJump` past the expected number (`jump`) is held
 *   back, not trusted: frames that carry on from the expected number are
 *   still taken; if the next frame carries on from the jump instead, the jump
 *   was real and everything between is reported as a gap;
 * - when the table is full, the session seen least recently is forgotten
 *   (`evictions`) so detection goes on for the sessions that are active.
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
  /** a new incarnation of a session: taken whole */
  restart: 4,
  /** an absurd jump: held back (its ticks are not taken) */
  jump: 5,
} as const;

/** Frame flag: the last frame of a session. */
export const END_OF_SESSION = 1;
/** Frames after a start at sequence 1 within which another 1 is a late copy. */
export const RECENT = 64;
/** Default most sequence numbers a frame may skip before it is held back. */
export const MAX_JUMP = 1_000_000;

const TWO32 = 4294967296;

/** Tracks the next expected sequence number of each session. */
export class Sequencer {
  /** Gap range of the last `gap` result. */
  gapFirst = 0;
  gapLast = 0;
  /** Ticks at the start of the last frame already seen (skip them). */
  skip = 0;
  /** Session index of the last frame. */
  session = -1;
  gaps = 0;
  missing = 0;
  duplicates = 0;
  outOfOrder = 0;
  restarts = 0;
  jumps = 0;
  evictions = 0;
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private readonly next: Float64Array;
  /** where a held-back jump said the session goes on (-1: none) */
  private readonly jumpNext: Float64Array;
  private readonly closed: Uint8Array;
  /** frame counter at the last frame of each session (least recent is evicted) */
  private readonly seen: Float64Array;
  /** frame counter when the session's incarnation started */
  private readonly began: Float64Array;
  private frames = 0;
  private n = 0;

  constructor(readonly capacity = 256, readonly maxJump = MAX_JUMP) {
    this.lo = new Uint32Array(capacity);
    this.hi = new Uint32Array(capacity);
    this.next = new Float64Array(capacity);
    this.jumpNext = new Float64Array(capacity).fill(-1);
    this.closed = new Uint8Array(capacity);
    this.seen = new Float64Array(capacity);
    this.began = new Float64Array(capacity);
  }

  /** Forgets every session (a replay starts over). Allocation-free. */
  reset(): void {
    this.n = 0;
  }

  /** Number of sessions tracked. */
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
    this.session = i === this.n ? this.open(sLo, sHi) : i;
    i = this.session;
    this.seen[i] = ++this.frames;
    const eos = (h.flags() & END_OF_SESSION) !== 0;
    const res = i === this.n - 1 && this.next[i] < 0
      ? this.start(i, first, count)
      : this.classify(i, first, count);
    if (eos) this.closed[i] = 1;
    return res;
  }

  /** A slot for a new session: a free one, or the least recently seen one's. */
  private open(lo: number, hi: number): number {
    let i = this.n;
    if (i === this.capacity) {
      i = 0;
      for (let k = 1; k < this.n; k++) if (this.seen[k] < this.seen[i]) i = k;
      this.evictions++;
      // keep the new session last so onFrame knows it is new
      this.lo[i] = this.lo[this.n - 1];
      this.hi[i] = this.hi[this.n - 1];
      this.next[i] = this.next[this.n - 1];
      this.jumpNext[i] = this.jumpNext[this.n - 1];
      this.closed[i] = this.closed[this.n - 1];
      this.seen[i] = this.seen[this.n - 1];
      this.began[i] = this.began[this.n - 1];
      i = this.n - 1;
    } else this.n++;
    this.lo[i] = lo;
    this.hi[i] = hi;
    this.next[i] = -1;
    return i;
  }

  /** First frame of a session, or of a new incarnation. */
  private start(i: number, first: number, count: number): number {
    this.next[i] = first + count;
    this.jumpNext[i] = -1;
    this.closed[i] = 0;
    this.began[i] = first === 1 ? this.frames : -Infinity;
    return SeqResult.inOrder;
  }

  private classify(i: number, first: number, count: number): number {
    const expected = this.next[i];
    const backAt1 = first === 1 && expected > 1 + count && this.frames - this.began[i] > RECENT;
    const repeatedEnd = count === 0 && first === expected; // another copy of the end frame
    if ((this.closed[i] === 1 && !repeatedEnd) || backAt1) {
      this.restarts++;
      this.start(i, first, count);
      return SeqResult.restart;
    }
    if (first === expected) {
      this.next[i] = first + count;
      this.jumpNext[i] = -1;
      return SeqResult.inOrder;
    }
    if (first > expected) return this.ahead(i, first, count, expected);
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

  /** A frame past the expected number: a gap, or a jump held back until confirmed. */
  private ahead(i: number, first: number, count: number, expected: number): number {
    const confirmed = this.jumpNext[i] === first;
    if (first - expected > this.maxJump && !confirmed) {
      this.jumps++;
      this.jumpNext[i] = first + count;
      return SeqResult.jump;
    }
    this.gapFirst = expected;
    this.gapLast = first - 1;
    this.gaps++;
    this.missing += first - expected;
    this.next[i] = first + count;
    this.jumpNext[i] = -1;
    return SeqResult.gap;
  }
}
