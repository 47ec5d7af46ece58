/**
 * Previous-close filling (`--fill prev`): a flat bar (open = high = low =
 * close = the last close, volume 0, flagged `filled`) for each window in
 * which a symbol did not trade, between two of its final bars or up to the
 * watermark. The aggregator tells it each final bar (`carry`) and asks for
 * the flat bars up to a start (`fillTo`); bars go to the same handler as
 * the aggregator's, through the same reused record.
 *
 * Bounded: one advance makes at most MAX_FILL flat bars per symbol and
 * window; the rest are counted in `skipped`, not made.
 *
 * @example
 * ```ts
 * import { BarFiller } from "./fill.ts";
 * import { BAR } from "./bar.ts";
 * const starts: number[] = [];
 * const fill = new BarFiller(Float64Array.of(1000), 4, new Float64Array(BAR.slots), {
 *   bar: (r) => starts.push(r[BAR.slot.start]),
 *   late: () => {},
 * });
 * fill.carry(0, 1, 0, 101.5, -2); // symbol 1's bar [0, 1000) closed at 101.5
 * fill.fillTo(0, 1, 3000); // flat bars starting at 1000, 2000 and 3000
 * console.log(starts); // [1000, 2000, 3000]
 * ```
 * @module
 */
import { BAR, BarFlag, type BarHandler } from "./bar.ts";
import { MAX_FILL } from "./options.ts";

const B = BAR.slot;

/** The flat bars of quiet symbols, per window and symbol. */
export class BarFiller {
  /** Flat bars not made because one advance would have made more than MAX_FILL. */
  skipped = 0;
  // per window * symbol: the last final bar's start (-Infinity: none yet), close and exponent
  private readonly lastStart: Float64Array;
  private readonly lastClose: Float64Array;
  private readonly lastExp: Float64Array;

  /**
   * `win`: window lengths (ms); `cap`: symbols per window; `rec`: the record
   * handed to `out` (reused, at least BAR.slots long).
   */
  constructor(
    private readonly win: Float64Array,
    private readonly cap: number,
    private readonly rec: Float64Array,
    private readonly out: BarHandler,
  ) {
    const n = win.length * cap;
    this.lastStart = new Float64Array(n).fill(-Infinity);
    this.lastClose = new Float64Array(n);
    this.lastExp = new Float64Array(n);
  }

  /** Symbol `s`'s bar starting at `start` in window `w` became final, closing at `close`. */
  carry(w: number, s: number, start: number, close: number, exp: number): void {
    const fi = w * this.cap + s;
    this.lastStart[fi] = start;
    this.lastClose[fi] = close;
    this.lastExp[fi] = exp;
  }

  /** Start of symbol `s`'s last final bar in window `w` (-Infinity before its first). */
  lastFinal(w: number, s: number): number {
    return this.lastStart[w * this.cap + s];
  }

  /** Publishes flat bars for symbol s from its last final bar up to `upTo` (a bar start); how many. */
  fillTo(w: number, s: number, upTo: number): number {
    const fi = w * this.cap + s, W = this.win[w], f = this.rec, c = this.lastClose[fi];
    if (this.lastStart[fi] === -Infinity) return 0; // nothing to carry yet
    const skip = (upTo - this.lastStart[fi]) / W - MAX_FILL;
    if (skip > 0) {
      this.skipped += skip;
      this.lastStart[fi] += skip * W;
    }
    let made = 0;
    for (let start = this.lastStart[fi] + W; start <= upTo; start += W) {
      f[B.window] = w;
      f[B.symbol] = s;
      f[B.start] = start;
      f[B.end] = start + W;
      f.fill(c, B.open, B.close + 1); // open, high, low, close: adjacent
      f[B.exp] = this.lastExp[fi];
      f[B.volume] =
        f[B.trades] =
        f[B.pv] =
        f[B.buyVolume] =
        f[B.sellVolume] =
          0;
      f[B.firstSeq] = f[B.lastSeq] = -1;
      f[B.flags] = BarFlag.final | BarFlag.filled;
      f[B.revision] = 0;
      this.out.bar(f);
      made++;
      this.lastStart[fi] = start;
    }
    return made;
  }

  /** Forgets every symbol's last bar (a replay starts over). */
  reset(): void {
    this.lastStart.fill(-Infinity);
  }
}
