/**
 * What the ITCH stage sends on: trades and changes of best bid/offer as
 * tickwire ticks, written in place as one frame per packet (FrameWriter)
 * and handed to the next record handler (the TickConsumer), plus one BBO
 * line per change when `--bbo-out` is on. Symbols are learnt per stock
 * locate; times are ITCH nanoseconds since New York midnight, converted
 * when used. Nothing allocates per tick.
 *
 * @example
 * ```ts
 * import { ItchTicks } from "./ticks_out.ts";
 * import { ItchStats } from "./stats.ts";
 * const out = new ItchTicks("2012-06-21", () => {}, new ItchStats());
 * out.symLo[7] = 0x4c505141; // "AAPL"
 * out.begin(0, 0, new DataView(new ArrayBuffer(64))); // a message at 0 of the packet
 * out.trade(7, 5_850_000, 100, 0);
 * out.flush();
 * console.log(out.ticksOut); // 1
 * ```
 * @module
 */
import type { RecordHandler } from "../../ring/ring.ts";
import { FrameWriter } from "../../wire/frame_writer.ts";
import { TickKind } from "../../wire/enums.ts";
import { ItchClock } from "./clock.ts";
import { M } from "./spec.ts";
import type { Book } from "./book.ts";
import type { BboWriter } from "./bbo_out.ts";
import type { ItchStats } from "./stats.ts";

const TRADE = TickKind.Trade, QUOTE = TickKind.Quote, TWO32 = 4294967296;
const MAX_TICKS = 512;

/** Trade and quote ticks of the ITCH stage, framed for the consumer. */
export class ItchTicks {
  /** symbol words by stock locate (0 = not known yet) */
  readonly symLo = new Uint32Array(65536);
  readonly symHi = new Uint32Array(65536);
  /** where the current message starts in the packet (its time is read when a tick needs it) */
  at = 0;
  private dv: DataView = new DataView(new ArrayBuffer(0));
  /** true after an unrecovered gap: the books may be wrong */
  stale = false;
  bbo?: BboWriter;
  /** ticks handed on */
  ticksOut = 0;
  /** last best bid/offer sent, by locate (-1 = empty side) */
  private readonly last = new Float64Array(65536 * 4).fill(-1);
  /** locates quoted since the last reset (so a reset rewrites those, not 2 MB) */
  private readonly quoted = new Uint16Array(65536);
  private nQuoted = 0;
  private readonly frame = new FrameWriter(MAX_TICKS);
  /** the packet's receive time, lo/hi words (typed: large values would box) */
  private readonly rx = new Uint32Array(2);
  private readonly clock: ItchClock;

  constructor(
    date: string,
    private readonly next: RecordHandler,
    private readonly stats: ItchStats,
  ) {
    this.clock = new ItchClock(date);
  }

  /** Starts the frame of a packet (in `dv`) received at rx (CLOCK_MONOTONIC ns halves). */
  begin(rxLo: number, rxHi: number, dv: DataView): void {
    this.dv = dv;
    this.rx[0] = rxLo;
    this.rx[1] = rxHi;
    this.frame.begin(1, this.ticksOut + 1);
  }

  /** A trade of the stock at locate L (side: the aggressor's, 0 = unknown). */
  trade(L: number, price: number, shares: number, side: number): void {
    if (this.symLo[L] === 0) {
      this.stats.noSymbol++;
      return;
    }
    this.stats.trades++;
    this.setClock();
    if (this.frame.full) this.flush();
    this.frame.tick(this.clock.utc, this.symLo[L], this.symHi[L], TRADE, side, price, shares, 0, 0);
  }

  /** Sends a quote tick (and a BBO line) when the book's best bid or offer changed. */
  quoteIfChanged(L: number, b: Book): void {
    const bid = b.bid.bestPrice(), bidSize = b.bid.bestShares();
    const ask = b.ask.bestPrice(), askSize = b.ask.bestShares();
    const last = this.last, k = L * 4;
    if (
      last[k] === bid && last[k + 1] === bidSize && last[k + 2] === ask && last[k + 3] === askSize
    ) {
      return;
    }
    if (last[k + 1] < 0) this.quoted[this.nQuoted++] = L; // a size is never negative once sent
    last[k] = bid;
    last[k + 1] = bidSize;
    last[k + 2] = ask;
    last[k + 3] = askSize;
    this.stats.quotes++;
    this.setClock();
    const lo = this.symLo[L], hi = this.symHi[L], utc = this.clock.utc;
    this.bbo?.line(lo, hi, utc, bid, bidSize, ask, askSize, this.stale);
    if (lo === 0) return;
    if (this.frame.full) this.flush();
    const bidPx = bid < 0 ? 0 : bid, askPx = ask < 0 ? 0 : ask;
    this.frame.tick(utc, lo, hi, QUOTE, 0, bidPx, bidSize, askPx, askSize);
  }

  /** The clock at the current message's ITCH time (nanoseconds since New York midnight). */
  private setClock(): void {
    const dv = this.dv, at = this.at;
    this.clock.set(dv.getUint16(at + M.tsHi) * TWO32 + dv.getUint32(at + M.tsLo));
  }

  /** Hands the ticks written so far to the consumer as one frame. */
  flush(): void {
    const f = this.frame;
    if (f.count === 0) return;
    const n = f.count, len = f.end();
    this.next(f.bytes, 0, len, this.rx[0], this.rx[1], 0);
    this.ticksOut += n;
    f.begin(1, this.ticksOut + 1);
  }

  /** Forgets the last quotes and the stale flag (a replay from the start). */
  reset(): void {
    for (let i = 0; i < this.nQuoted; i++) {
      this.last.fill(-1, this.quoted[i] * 4, this.quoted[i] * 4 + 4);
    }
    this.nQuoted = 0;
    this.stale = false;
  }
}
