/**
 * Order-book snapshots across threads. The books live in the pipeline
 * Worker; the main thread (REST and the WebSocket `book` channel) asks for
 * one stock's top levels through a small shared block and waits for the
 * answer with `Atomics.waitAsync`, so serving a book never costs the
 * Worker more than one atomic load per loop turn and never allocates there.
 *
 * Layout (one home for it; int32 slots, then float64 slots from byte 32):
 *   i32[0] request number (main: store, then notify/wake the Worker)
 *   i32[1] answered request number (Worker: store after the data, notify)
 *   i32[2], i32[3] symbol, packed as in tickwire frames (lo, hi)
 *   i32[4] depth asked; i32[5] status (ANSWER.*)
 *   i32[6], i32[7] bid and ask levels written
 *   f64[0] stale flag; f64[1 + 3i ..] bid level i: price (x 10,000), shares,
 *   orders; asks follow the MAX_DEPTH bid levels.
 *
 * @example
 * ```ts
 * import { BookShare } from "./book_share.ts";
 * const share = new BookShare(BookShare.create());
 * console.log(share.pending()); // false
 * ```
 * @module
 */
import { packSymbol, symbolName } from "../../wire/frame.ts";
import type { Book, BookSide } from "./book.ts";

/** Most levels per side a snapshot carries. */
export const MAX_BOOK_DEPTH = 50;

/** Answer codes (i32[5]). */
export const ANSWER = { ok: 0, unknownSymbol: 1 } as const;

const REQ = 0, DONE = 1, SYM_LO = 2, SYM_HI = 3, DEPTH = 4, STATUS = 5, NBID = 6, NASK = 7;
const F64_AT = 32, STALE = 0, LEVELS = 1, ASKS = LEVELS + 3 * MAX_BOOK_DEPTH;
const BYTES = F64_AT + 8 * (ASKS + 3 * MAX_BOOK_DEPTH);

/** A price level as served. */
export interface LevelJson {
  price: number;
  size: number;
  orders: number;
}

/** A book as served (REST `/v1/book/:symbol` and the WebSocket `book` channel). */
export interface BookJson {
  symbol: string;
  /** true after an unrecovered MoldUDP64 gap: the books may be wrong */
  stale: boolean;
  /** best first */
  bids: LevelJson[];
  asks: LevelJson[];
}

/** Both ends of the shared block. */
export class BookShare {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  /** last request the Worker answered (Worker side) */
  private served = 0;

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab, 0, 8);
    this.f64 = new Float64Array(sab, F64_AT);
  }

  static create(): SharedArrayBuffer {
    return new SharedArrayBuffer(BYTES);
  }

  // ------------------------------------------------------------ Worker side

  /** A request is waiting (one atomic load). */
  pending(): boolean {
    return Atomics.load(this.i32, REQ) !== this.served;
  }

  /** The requested symbol's packed words. */
  symbol(): [number, number] {
    return [this.i32[SYM_LO] >>> 0, this.i32[SYM_HI] >>> 0];
  }

  /** Answers the waiting request with `book` (undefined: unknown symbol). */
  answer(book: Book | undefined, stale: boolean): void {
    const i = this.i32, depth = i[DEPTH];
    if (book === undefined) i[STATUS] = ANSWER.unknownSymbol;
    else {
      i[STATUS] = ANSWER.ok;
      i[NBID] = this.levels(book.bid, depth, LEVELS);
      i[NASK] = this.levels(book.ask, depth, ASKS);
      this.f64[STALE] = stale ? 1 : 0;
    }
    this.served = Atomics.load(i, REQ);
    Atomics.store(i, DONE, this.served); // after the data: the reader loads it first
    Atomics.notify(i, DONE);
  }

  private levels(side: BookSide, depth: number, at: number): number {
    const f = this.f64;
    let k = at;
    return side.eachTop(depth, (price, shares, orders) => {
      f[k++] = price;
      f[k++] = shares;
      f[k++] = orders;
    });
  }

  // ------------------------------------------------------------ main side

  private queue: Promise<unknown> = Promise.resolve();

  /**
   * The top `depth` levels of `symbol`'s book: undefined when the stock has
   * no book, null when the Worker did not answer within `timeoutMs`.
   * `wake` wakes a parked Worker. Requests are served one at a time.
   */
  ask(
    symbol: string,
    depth: number,
    wake: () => void,
    timeoutMs = 1000,
  ): Promise<BookJson | undefined | null> {
    const run = this.queue.then(() => this.once(symbol, depth, wake, timeoutMs));
    this.queue = run.catch(() => {});
    return run;
  }

  private async once(symbol: string, depth: number, wake: () => void, timeoutMs: number) {
    const i = this.i32, [lo, hi] = packSymbol(symbol);
    i[SYM_LO] = lo | 0;
    i[SYM_HI] = hi | 0;
    i[DEPTH] = Math.min(Math.max(1, depth), MAX_BOOK_DEPTH);
    const n = (Atomics.load(i, REQ) + 1) | 0;
    Atomics.store(i, REQ, n);
    wake();
    const deadline = performance.now() + timeoutMs;
    while (Atomics.load(i, DONE) !== n) {
      const left = deadline - performance.now();
      if (left <= 0) return null;
      const w = Atomics.waitAsync(i, DONE, Atomics.load(i, DONE), left);
      if (w.async) await w.value;
    }
    return i[STATUS] === ANSWER.ok ? this.read(symbolName(lo, hi)) : undefined;
  }

  private read(symbol: string): BookJson {
    const i = this.i32, f = this.f64;
    const side = (at: number, n: number) =>
      Array.from({ length: n }, (_, k) => ({
        price: f[at + 3 * k] / 10_000,
        size: f[at + 3 * k + 1],
        orders: f[at + 3 * k + 2],
      }));
    return {
      symbol,
      stale: f[STALE] === 1,
      bids: side(LEVELS, i[NBID]),
      asks: side(ASKS, i[NASK]),
    };
  }
}
