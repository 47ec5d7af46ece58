/**
 * Windowed OHLC bars per symbol, several tumbling windows at once, in event
 * time, with a per-feed watermark, allowed lateness, revisions, late-tick
 * events and optional previous-close filling. All state lives in
 * preallocated typed arrays (stride-F records), so a tick allocates nothing.
 *
 * Time: windows are whole milliseconds, aligned to the UTC epoch plus an
 * optional offset; a tick at seconds.nanoseconds belongs to the bar whose
 * [start, end) holds it, decided on the exact millisecond floor of its time
 * (window bounds are whole milliseconds, so this is exact to the ns).
 * Within a bar, ticks are ordered by exact (sec, nsec) time, and ties keep
 * arrival order: the first arrival at the earliest time is the open, the
 * last arrival at the latest time is the close.
 *
 * Finality: the watermark is the largest event time seen on the feed (not
 * per symbol, so quiet symbols' bars close too). A bar is final once the
 * watermark reaches its end plus the allowed lateness. With lateness > 0
 * it is first published provisionally (`final: false`) when the watermark
 * reaches its end; every later change to it (a late tick within the
 * lateness) raises its revision and is published again. A tick whose bar
 * is already final is a late tick: counted per symbol and published as a
 * late event, never folded in silently or dropped silently.
 *
 * Memory: windows x symbols x depth records of F float64s, where depth =
 * ceil(lateness / window) + 1 (bars of one symbol and window that can be
 * open at once).
 *
 * @example
 * ```ts
 * import { BarAggregator } from "./aggregator.ts";
 * const bars: Float64Array[] = [];
 * const agg = new BarAggregator(
 *   { windowsMs: [1000], latenessMs: 0, alignOffsetMs: 0, fill: false, maxSymbols: 16 },
 *   { bar: (r) => bars.push(r.slice()), late: () => {} },
 * );
 * console.log(agg.depth); // 1
 * ```
 * @module
 */
import type { Tick } from "../wire/generated/tickwire_generated.ts";
import { BAR, BarFlag, type BarHandler, LATE } from "./bar.ts";
import { Side } from "../wire/enums.ts";
import { tickMs } from "../wire/frame.ts";
import { barDepth, type BarOptions, barStateBytes, FIELDS } from "./options.ts";
import { BarFiller } from "./fill.ts";

const B = BAR.slot, LT = LATE.slot;

// Fields of one bar's state record (FIELDS float64s). F_STATE: 0 empty, 1 open, 2
// published provisionally; F_OPEN..F_CLOSE adjacent; F_OPEN_S/N, F_CLOSE_S/N: times
// (sec, nsec) of the open and the close; F_LISTED: 1 while in its window's open
// list; F_DIRTY: changed since the last live update; F_BUY, F_SELL: by aggressor.
const F_STATE = 0, F_START = 1, F_OPEN = 2, F_HIGH = 3, F_LOW = 4, F_CLOSE = 5, F_VOL = 6;
const F_TRADES = 7, F_PV = 8, F_FIRST = 9, F_LAST = 10, F_REV = 11, F_EXP = 12;
const F_OPEN_S = 13, F_OPEN_N = 14, F_CLOSE_S = 15, F_CLOSE_N = 16, F_LISTED = 17;
const F_DIRTY = 18, F_BUY = 19, F_SELL = 20, F = FIELDS;

const S_EMPTY = 0, S_OPEN = 1, S_PROVISIONAL = 2;
const TWO32 = 4294967296;

/** The bar stage. One instance per pipeline thread. */
export class BarAggregator {
  /** Largest event time seen, ms (-Infinity before the first tick). */
  watermark = -Infinity;
  /** Final bars published (including filled ones). */
  finalBars = 0;
  /** Provisional bars and revisions published. */
  updates = 0;
  /** Late ticks (their bar was already final). */
  late = 0;
  /** Late ticks per symbol. */
  readonly lateBySymbol: Float64Array;
  /** Bars a symbol may have open per window. */
  readonly depth: number;
  /**
   * Scratch inputs for onTrade, set by the caller: [0] sequence number.
   * (Doubles passed as arguments to a non-inlined call would be boxed.)
   */
  readonly scratch = new Float64Array(4);
  private readonly win: Float64Array;
  private readonly nw: number;
  private readonly cap: number;
  private readonly off: number;
  private readonly lateness: number;
  /** flat bars for quiet symbols (--fill prev) */
  private readonly filler?: BarFiller;
  // (records are emptied when final; state S_EMPTY = 0)
  private readonly st: Float64Array; // bar records
  private readonly openList: Int32Array[]; // per window: record indices not yet final
  private readonly openCount: Int32Array;
  private readonly nextCheck: Float64Array; // per window: watermark that requires a scan
  private readonly maxSeen: Int32Array; // symbols seen per window (fill scan bound)
  // per window: the last trade's grid bar (start, record slot): no division or modulo per trade
  private readonly gridStart: Float64Array;
  private readonly gridSlot: Int32Array;
  private symbols = 0;
  /** the record handed to the handler (reused) */
  private readonly rec = new Float64Array(Math.max(BAR.slots, LATE.slots));

  constructor(private readonly opts: BarOptions, private readonly out: BarHandler) {
    const { windowsMs, maxSymbols } = opts;
    const depth = this.depth = barDepth(opts); // checks the options
    [this.nw, this.cap, this.off] = [windowsMs.length, maxSymbols, opts.alignOffsetMs];
    this.lateness = opts.latenessMs;
    this.win = Float64Array.from(windowsMs);
    if (opts.fill) this.filler = new BarFiller(this.win, maxSymbols, this.rec, out);
    const n = this.nw * maxSymbols * depth * FIELDS; // int32 indices per trade: < 2^31 (16 GiB)
    if (n >= 2 ** 31) throw new RangeError("bar state too large: fewer symbols or windows");
    this.st = new Float64Array(n);
    this.openList = windowsMs.map(() => new Int32Array(maxSymbols * depth));
    this.openCount = new Int32Array(this.nw);
    this.nextCheck = new Float64Array(this.nw).fill(Infinity);
    this.maxSeen = new Int32Array(this.nw);
    this.gridStart = new Float64Array(this.nw).fill(NaN);
    this.gridSlot = new Int32Array(this.nw);
    this.lateBySymbol = new Float64Array(maxSymbols);
  }

  /** Advances the watermark to `ms` if later (quiet feeds, ticks); closes what became final. */
  advanceTo(ms: number): void {
    if (ms <= this.watermark) return;
    this.watermark = ms;
    for (let w = 0; w < this.nw; w++) if (ms >= this.nextCheck[w]) this.scan(w);
  }

  /** Flat bars not made because one advance would have made more than MAX_FILL. */
  get fillSkipped(): number {
    return this.filler?.skipped ?? 0;
  }

  /** Bytes of preallocated bar state. */
  get stateBytes(): number {
    return barStateBytes(this.opts);
  }

  /** Advances the watermark to the tick's time; closes what became final. */
  onTime(t: Tick): void {
    this.advanceTo(tickMs(t));
  }

  /** Folds a trade into every window's bar. Sequence number in scratch[0]. */
  onTrade(sym: number, t: Tick): void {
    if (sym >= this.symbols) this.symbols = sym + 1;
    const sec = t.tsSec(), nsec = t.tsNsec();
    const ms = tickMs(t);
    const price = t.priceHi() * TWO32 + t.priceLo();
    const size = t.size(), side = t.side();
    const buy = side === Side.Buy ? size : 0, sell = side === Side.Sell ? size : 0;
    const seq = this.scratch[0];
    const st = this.st, off = this.off, L = this.lateness, D = this.depth;
    for (let w = 0; w < this.nw; w++) {
      const W = this.win[w];
      let start = this.gridStart[w], slot = this.gridSlot[w];
      if (!(ms >= start && ms < start + W)) {
        const idx = Math.floor((ms - off) / W);
        this.gridStart[w] = start = idx * W + off;
        this.gridSlot[w] = slot = idx % D;
      }
      if (start + W + L <= this.watermark) { // its bar is already final
        this.lateTick(sym, t, seq, price);
        return; // one late event per tick, whatever the window
      }
      const e = (((w * this.cap + sym) * D + slot) * F) | 0; // int32: cheap index checks
      let state = st[e + F_STATE];
      if (state !== S_EMPTY && st[e + F_START] !== start) {
        // The record holds an older bar of this symbol: it is final by now.
        this.finalize(w, sym, e);
        state = S_EMPTY;
      }
      if (state === S_EMPTY) {
        st[e + F_STATE] = S_OPEN;
        st[e + F_START] = start;
        st.fill(price, e + F_OPEN, e + F_CLOSE + 1); // open, high, low, close
        st[e + F_VOL] = size;
        st[e + F_BUY] = buy;
        st[e + F_SELL] = sell;
        st[e + F_TRADES] = 1;
        st[e + F_PV] = price * size;
        st[e + F_FIRST] = st[e + F_LAST] = seq;
        st[e + F_REV] = 0;
        st[e + F_DIRTY] = 1;
        st[e + F_EXP] = t.priceExp();
        st[e + F_OPEN_S] = st[e + F_CLOSE_S] = sec;
        st[e + F_OPEN_N] = st[e + F_CLOSE_N] = nsec;
        if (st[e + F_LISTED] === 0) {
          st[e + F_LISTED] = 1;
          this.openList[w][this.openCount[w]++] = e;
        }
        if (sym >= this.maxSeen[w]) this.maxSeen[w] = sym + 1;
        const due = L > 0 ? start + W : start + W + L;
        if (due < this.nextCheck[w]) this.nextCheck[w] = due;
        if (L > 0 && start + W <= this.watermark) {
          // a late tick opening a bar whose window has passed: provisional
          // now, final after the lateness
          st[e + F_STATE] = S_PROVISIONAL;
          this.publish(w, sym, e, false);
        }
        continue;
      }
      if (price > st[e + F_HIGH]) st[e + F_HIGH] = price;
      if (price < st[e + F_LOW]) st[e + F_LOW] = price;
      const os = st[e + F_OPEN_S], on = st[e + F_OPEN_N];
      if (sec < os || (sec === os && nsec < on)) {
        st[e + F_OPEN] = price;
        st[e + F_OPEN_S] = sec;
        st[e + F_OPEN_N] = nsec;
      }
      const cs = st[e + F_CLOSE_S], cn = st[e + F_CLOSE_N];
      if (sec > cs || (sec === cs && nsec >= cn)) {
        st[e + F_CLOSE] = price;
        st[e + F_CLOSE_S] = sec;
        st[e + F_CLOSE_N] = nsec;
      }
      st[e + F_VOL] += size;
      st[e + F_BUY] += buy;
      st[e + F_SELL] += sell;
      st[e + F_TRADES]++;
      st[e + F_PV] += price * size;
      st[e + F_DIRTY] = 1;
      if (seq < st[e + F_FIRST]) st[e + F_FIRST] = seq;
      if (seq > st[e + F_LAST]) st[e + F_LAST] = seq;
      if (state === S_PROVISIONAL) {
        st[e + F_REV]++;
        this.publish(w, sym, e, false);
      }
    }
  }

  private lateTick(sym: number, t: Tick, seq: number, price: number): void {
    this.late++;
    this.lateBySymbol[sym]++;
    const f = this.rec, i = 0;
    f[i + LT.symbol] = sym;
    f[i + LT.sec] = t.tsSec();
    f[i + LT.nsec] = t.tsNsec();
    f[i + LT.seq] = seq;
    f[i + LT.price] = price;
    f[i + LT.size] = t.size();
    f[i + LT.exp] = t.priceExp();
    f[i + LT.watermark] = this.watermark;
    this.out.late(f);
  }

  /** Closes or publishes what the watermark allows, for window w. */
  private scan(w: number): void {
    const W = this.win[w], L = this.lateness, wm = this.watermark, st = this.st;
    const list = this.openList[w];
    let n = this.openCount[w];
    // Finalize grid bar by grid bar, oldest first, so each symbol's bars
    // (and the flat bars filled between them) come out in start order.
    for (;;) {
      let g = Infinity;
      for (let k = 0; k < n; k++) if (st[list[k] + F_START] < g) g = st[list[k] + F_START];
      if (!(g + W + L <= wm)) break;
      for (let k = 0; k < n; k++) {
        const e = list[k];
        if (st[e + F_START] !== g) continue;
        this.finalize(w, this.symbolOf(e), e);
        st[e + F_LISTED] = 0;
        list[k--] = list[--n];
      }
    }
    let next = Infinity;
    for (let k = 0; k < n; k++) {
      const e = list[k];
      const end = st[e + F_START] + W;
      if (L > 0 && st[e + F_STATE] === S_OPEN && end <= wm) {
        st[e + F_STATE] = S_PROVISIONAL;
        this.publish(w, this.symbolOf(e), e, false);
      }
      const due = st[e + F_STATE] === S_OPEN && L > 0 ? end : end + L;
      if (due < next) next = due;
    }
    this.openCount[w] = n;
    if (this.filler !== undefined) {
      const dueFill = this.fillQuiet(w, this.filler);
      if (dueFill < next) next = dueFill;
    }
    this.nextCheck[w] = next;
  }

  /** Flat bars of quiet symbols up to the last window that is final now; when to look again. */
  private fillQuiet(w: number, filler: BarFiller): number {
    const W = this.win[w], L = this.lateness, st = this.st;
    const lastFinal = Math.floor((this.watermark - L - this.off) / W) * W + this.off - W;
    for (let s = 0; s < this.maxSeen[w]; s++) {
      if (filler.lastFinal(w, s) >= lastFinal) continue;
      // do not fill past a bar of this symbol that is still open
      let limit = lastFinal;
      for (let d = 0; d < this.depth; d++) {
        const e = ((w * this.cap + s) * this.depth + d) * F;
        if (st[e + F_STATE] !== S_EMPTY && st[e + F_START] - W < limit) {
          limit = st[e + F_START] - W;
        }
      }
      this.finalBars += filler.fillTo(w, s, limit);
    }
    return lastFinal + 2 * W + L;
  }

  /** The symbol whose bar record starts at `e`. */
  private symbolOf(e: number): number {
    return Math.floor(e / F / this.depth) % this.cap;
  }

  private finalize(w: number, sym: number, e: number): void {
    const st = this.st, filler = this.filler;
    if (st[e + F_STATE] === S_EMPTY) return;
    if (filler !== undefined) {
      this.finalBars += filler.fillTo(w, sym, st[e + F_START] - this.win[w]);
    }
    this.publish(w, sym, e, true);
    this.finalBars++;
    filler?.carry(w, sym, st[e + F_START], st[e + F_CLOSE], st[e + F_EXP]);
    st[e + F_STATE] = S_EMPTY;
  }

  private publish(w: number, sym: number, e: number, final: boolean): void {
    const st = this.st, f = this.rec, i = 0;
    f[i + B.window] = w;
    f[i + B.symbol] = sym;
    f[i + B.start] = st[e + F_START];
    f[i + B.end] = st[e + F_START] + this.win[w];
    f[i + B.open] = st[e + F_OPEN];
    f[i + B.high] = st[e + F_HIGH];
    f[i + B.low] = st[e + F_LOW];
    f[i + B.close] = st[e + F_CLOSE];
    f[i + B.exp] = st[e + F_EXP];
    f[i + B.volume] = st[e + F_VOL];
    f[i + B.buyVolume] = st[e + F_BUY];
    f[i + B.sellVolume] = st[e + F_SELL];
    f[i + B.trades] = st[e + F_TRADES];
    f[i + B.pv] = st[e + F_PV];
    f[i + B.firstSeq] = st[e + F_FIRST];
    f[i + B.lastSeq] = st[e + F_LAST];
    f[i + B.flags] = final ? BarFlag.final : 0;
    f[i + B.revision] = st[e + F_REV];
    this.out.bar(f);
    if (!final) this.updates++;
  }

  /**
   * Publishes every open bar that changed since the last call as an
   * in-progress update (`final: false`), for live charts. Called on a
   * timer, not per tick, so updates are conflated. Returns how many.
   */
  publishLive(): number {
    let n = 0;
    const st = this.st;
    for (let w = 0; w < this.nw; w++) {
      const list = this.openList[w];
      for (let k = 0; k < this.openCount[w]; k++) {
        const e = list[k];
        if (st[e + F_DIRTY] === 0 || st[e + F_STATE] === S_EMPTY) continue;
        st[e + F_DIRTY] = 0;
        this.publish(w, this.symbolOf(e), e, false);
        n++;
      }
    }
    return n;
  }

  /** Forgets all bars and the watermark (a replay starts over). Allocation-free. */
  reset(): void {
    this.st.fill(0);
    this.openCount.fill(0);
    this.nextCheck.fill(Infinity);
    this.filler?.reset();
    this.watermark = -Infinity;
  }

  /** End of input: every open bar becomes final, in start order. */
  flush(): void {
    for (let w = 0; w < this.nw; w++) {
      const list = this.openList[w], n = this.openCount[w], st = this.st;
      const order = Array.from(list.subarray(0, n)).sort((a, b) =>
        st[a + F_START] - st[b + F_START]
      );
      for (const e of order) {
        this.finalize(w, this.symbolOf(e), e);
        st[e + F_LISTED] = 0;
      }
      this.openCount[w] = 0;
      this.nextCheck[w] = Infinity;
    }
  }
}
