/**
 * The ITCH stage: takes ring records holding MoldUDP64 packets, sequences
 * them, parses every ITCH 5.0 message in place (big-endian reads straight
 * from the ring), keeps the order books, and turns executions into trade
 * ticks and changes of best bid/offer into quote ticks. Those ticks are
 * written as one tickwire frame per packet (FrameWriter) and handed to the
 * same TickConsumer a tickwire feed uses, so bars, anomalies, latest
 * values and subscribers work unchanged. Nothing allocates per message.
 *
 * @example
 * ```ts
 * import { ItchStage } from "./stage.ts";
 * const s = new ItchStage({ date: "2012-06-21", check: true, maxOrders: 1000 }, () => {});
 * s.onRecord(new Uint8Array(20), 0, 20, 0, 0); // a heartbeat of an empty session
 * console.log(s.stats.packets); // 1
 * ```
 * @module
 */
import type { RecordHandler } from "../../ring/ring.ts";
import { FrameWriter } from "../../wire/frame_writer.ts";
import { Side, TickKind } from "../../wire/enums.ts";
import { ItchClock } from "./clock.ts";
import { M, MOLD, MSG_LEN, SIDE_BUY, T } from "./spec.ts";
import { MoldResult, MoldSequencer } from "./mold.ts";
import { OrderTable } from "./orders.ts";
import { Books } from "./book.ts";
import type { BboWriter } from "./bbo_out.ts";
import { type ItchJson, ItchStats } from "./stats.ts";

/** Settings of the stage. */
export interface ItchOptions {
  /** trading date, YYYY-MM-DD (ITCH times count from its New York midnight) */
  date: string;
  /** MoldUDP64 sequence checking (--mold-sequence check|off) */
  check: boolean;
  /** order table capacity (--max-orders) */
  maxOrders: number;
}

/** Where the stage reports what a frame of ticks cannot carry. */
export interface ItchSink {
  /** a MoldUDP64 gap that was not recovered */
  gap?(first: number, last: number): void;
  /** a broken trade (B): its match number */
  broken?(match: number): void;
}

const TWO32 = 4294967296;
const TRADE = TickKind.Trade, QUOTE = TickKind.Quote, BUY = Side.Buy, SELL = Side.Sell;
const MAX_TICKS = 512;

/** MoldUDP64 + ITCH 5.0 -> books and tickwire ticks. */
export class ItchStage {
  readonly orders: OrderTable;
  readonly books = new Books();
  readonly mold: MoldSequencer;
  readonly stats = new ItchStats();
  /** symbol words by stock locate (0 = not known yet) */
  readonly symLo = new Uint32Array(65536);
  readonly symHi = new Uint32Array(65536);
  /** last best bid/offer sent, by locate (-1 = empty side) */
  private readonly last = new Float64Array(65536 * 4).fill(-1);
  /** true after an unrecovered gap: the books may be wrong */
  stale = false;
  bbo?: BboWriter;
  private readonly frame = new FrameWriter(MAX_TICKS);
  private bytes: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private ticksOut = 0;
  /** the packet's receive time, lo/hi words (typed: large values would box) */
  private readonly rx = new Uint32Array(2);
  /** the current message's locate and UTC time */
  private locate = 0;
  /** the current message's ITCH time (a typed slot: a double field would box) */
  private readonly ts = new Float64Array(1);
  private readonly clock: ItchClock;

  constructor(
    opts: ItchOptions,
    private readonly next: RecordHandler,
    private readonly sink: ItchSink = {},
  ) {
    this.orders = new OrderTable(opts.maxOrders);
    this.mold = new MoldSequencer(opts.check);
    this.clock = new ItchClock(opts.date);
  }

  /** Ring record handler: one MoldUDP64 packet. */
  readonly onRecord: RecordHandler = (bytes, off, len, rxLo, rxHi) => {
    const st = this.stats;
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    st.packets++;
    if (len < MOLD.header) {
      st.malformedPackets++;
      return;
    }
    const mold = this.mold, res = mold.onPacket(this.dv, off);
    if (res === MoldResult.end) {
      st.endOfSession++;
      return;
    }
    if (res === MoldResult.gap) this.gap(mold.gapFirst, mold.gapLast);
    const count = mold.count;
    if (count === 0) {
      st.heartbeats++;
      return;
    }
    if (res === MoldResult.duplicate) return;
    this.rx[0] = rxLo;
    this.rx[1] = rxHi;
    this.frame.begin(1, this.ticksOut + 1);
    this.messages(off + MOLD.header, off + len, count, mold.skip);
    this.flush();
  };

  /** Walks the message blocks of a packet; applies those from `skip` on. */
  private messages(p: number, end: number, count: number, skip: number): void {
    const dv = this.dv;
    for (let i = 0; i < count; i++) {
      if (p + 2 > end) return this.malformed();
      const mlen = dv.getUint16(p);
      p += 2;
      if (mlen === 0 || p + mlen > end) return this.malformed();
      if (i >= skip) this.message(p, mlen);
      p += mlen;
    }
    if (p !== end) this.malformed();
  }

  private malformed(): void {
    this.stats.malformedPackets++;
  }

  /** One ITCH message at p. */
  private message(p: number, mlen: number): void {
    const st = this.stats, type = this.bytes[p];
    st.messages++;
    st.byType[type]++;
    const need = MSG_LEN[type];
    if (need === 0) {
      st.unknownTypes++;
      return;
    }
    if (mlen < need) {
      st.shortMessages++;
      return;
    }
    const dv = this.dv;
    this.locate = dv.getUint16(p + M.locate);
    this.ts[0] = dv.getUint16(p + M.tsHi) * TWO32 + dv.getUint32(p + M.tsLo); // converted when used
    this.dispatch(type, p);
  }

  private dispatch(type: number, p: number): void {
    const dv = this.dv;
    switch (type) {
      case T.A:
      case T.F:
        this.learn(p + M.addStock);
        return this.add(p, dv.getUint32(p + M.ref), dv.getUint32(p + M.ref + 4));
      case T.E:
        return this.execute(p, -1);
      case T.C:
        return this.execute(
          p,
          this.bytes[p + M.printable] === 0x59 ? dv.getUint32(p + M.execPrice) : -2,
        );
      case T.X:
        return this.reduce(p, dv.getUint32(p + M.shares), false);
      case T.D:
        return this.reduce(p, 0, true);
      case T.U:
        return this.replace(p);
      case T.P:
        this.learn(p + M.addStock);
        return this.trade(dv.getUint32(p + M.addPrice), dv.getUint32(p + M.addShares), p + M.side);
      case T.Q:
        this.learn(p + M.crossStock);
        return this.cross(p);
      case T.B:
        this.stats.broken++;
        this.sink.broken?.(dv.getUint32(p + M.ref) * TWO32 + dv.getUint32(p + M.ref + 4));
        return;
      case T.R:
        return this.learn(p + M.dirStock);
    }
  }

  /** Notes the stock of the current locate from 8 bytes at `at`. */
  private learn(at: number): void {
    const L = this.locate;
    if (this.symLo[L] !== 0) return;
    this.symLo[L] = this.dv.getUint32(at, true);
    this.symHi[L] = this.dv.getUint32(at + 4, true);
  }

  private add(p: number, hi: number, lo: number): void {
    const dv = this.dv, side = this.bytes[p + M.side], L = this.locate;
    const shares = dv.getUint32(p + M.addShares), price = dv.getUint32(p + M.addPrice);
    if (this.orders.insert(hi, lo, L, side, shares, price) < 0) return; // counted overflow
    this.books.add(L, side, price, shares);
    this.quoteIfChanged(L);
  }

  /** E (price -1: the order's), C (price -2: not printable). */
  private execute(p: number, price: number): void {
    const dv = this.dv, o = this.orders;
    const slot = o.find(dv.getUint32(p + M.ref), dv.getUint32(p + M.ref + 4));
    if (slot < 0) {
      this.stats.unknownOrders++;
      return;
    }
    const shares = Math.min(dv.getUint32(p + M.shares), o.shares(slot));
    if (price !== -2 && shares > 0) {
      const resting = o.side(slot) === SIDE_BUY;
      this.emitTrade(
        o.locate(slot),
        price === -1 ? o.price(slot) : price,
        shares,
        resting ? SELL : BUY,
      );
    }
    this.take(slot, shares, false);
  }

  /** X (shares) and D (the rest: `all`). */
  private reduce(p: number, shares: number, all: boolean): void {
    const dv = this.dv, o = this.orders;
    const slot = o.find(dv.getUint32(p + M.ref), dv.getUint32(p + M.ref + 4));
    if (slot < 0) {
      this.stats.unknownOrders++;
      return;
    }
    this.take(slot, all ? o.shares(slot) : Math.min(shares, o.shares(slot)), all);
  }

  /** Takes shares off an order; the order leaves when none remain (or `gone`). */
  private take(slot: number, shares: number, gone: boolean): void {
    const o = this.orders, L = o.locate(slot), left = o.shares(slot) - shares;
    const out = gone || left <= 0;
    if (!this.books.remove(L, o.side(slot), o.price(slot), shares, out)) this.stats.bookErrors++;
    if (out) o.remove(slot);
    else o.setShares(slot, left);
    this.quoteIfChanged(L);
  }

  /** U: the old order leaves, a new one (new reference, same side) arrives. */
  private replace(p: number): void {
    const dv = this.dv, o = this.orders;
    const slot = o.find(dv.getUint32(p + M.ref), dv.getUint32(p + M.ref + 4));
    if (slot < 0) {
      this.stats.unknownOrders++;
      return;
    }
    const L = o.locate(slot), side = o.side(slot);
    if (!this.books.remove(L, side, o.price(slot), o.shares(slot), true)) this.stats.bookErrors++;
    o.remove(slot);
    const shares = dv.getUint32(p + M.replShares), price = dv.getUint32(p + M.replPrice);
    const hi = dv.getUint32(p + M.newRef), lo = dv.getUint32(p + M.newRef + 4);
    if (o.insert(hi, lo, L, side, shares, price) >= 0) this.books.add(L, side, price, shares);
    this.quoteIfChanged(L);
  }

  /** P: a trade against a non-displayed order (side byte of that order at `sideAt`). */
  private trade(price: number, shares: number, sideAt: number): void {
    if (shares === 0) return;
    this.emitTrade(this.locate, price, shares, this.bytes[sideAt] === SIDE_BUY ? SELL : BUY);
  }

  /** Q: the cross's price and shares (8-byte shares, exact to 2^53). */
  private cross(p: number): void {
    const dv = this.dv;
    const shares = dv.getUint32(p + M.crossShares) * TWO32 + dv.getUint32(p + M.crossShares + 4);
    if (shares === 0) return;
    this.emitTrade(this.locate, dv.getUint32(p + M.crossPrice), Math.min(shares, 0xffffffff), 0);
  }

  private emitTrade(L: number, price: number, shares: number, side: number): void {
    if (this.symLo[L] === 0) {
      this.stats.noSymbol++;
      return;
    }
    this.stats.trades++;
    this.clock.set(this.ts[0]);
    if (this.frame.full) this.flush();
    this.frame.tick(
      this.clock.utc,
      this.symLo[L],
      this.symHi[L],
      TRADE,
      side,
      price,
      shares,
      0,
      0,
    );
  }

  /** Sends a quote tick (and a BBO line) when the stock's best bid or offer changed. */
  private quoteIfChanged(L: number): void {
    const b = this.books.book(L);
    if (b === undefined) return;
    const bid = b.bid.bestPrice(), bidSize = b.bid.bestShares();
    const ask = b.ask.bestPrice(), askSize = b.ask.bestShares();
    const last = this.last, k = L * 4;
    if (
      last[k] === bid && last[k + 1] === bidSize && last[k + 2] === ask && last[k + 3] === askSize
    ) {
      return;
    }
    last[k] = bid;
    last[k + 1] = bidSize;
    last[k + 2] = ask;
    last[k + 3] = askSize;
    this.stats.quotes++;
    this.clock.set(this.ts[0]);
    const lo = this.symLo[L], hi = this.symHi[L];
    this.bbo?.line(lo, hi, this.clock.utc, bid, bidSize, ask, askSize, this.stale);
    if (lo === 0) return;
    if (this.frame.full) this.flush();
    this.frame.tick(
      this.clock.utc,
      lo,
      hi,
      QUOTE,
      0,
      bid < 0 ? 0 : bid,
      bidSize,
      ask < 0 ? 0 : ask,
      askSize,
    );
  }

  /** An unrecovered gap: reported; every book is stale from now on. */
  private gap(first: number, last: number): void {
    this.stats.unrecovered += last - first + 1;
    this.stats.noteGap(first, last);
    this.stale = true;
    this.sink.gap?.(first, last);
  }

  /** Hands the ticks written so far to the consumer as one frame. */
  private flush(): void {
    const f = this.frame;
    if (f.count === 0) return;
    const n = f.count, len = f.end();
    this.next(f.bytes, 0, len, this.rx[0], this.rx[1]);
    this.ticksOut += n;
    f.begin(1, this.ticksOut + 1);
  }

  /** Forgets orders, books and sequencing (a replay of the same packets as new ones). */
  reset(): void {
    this.orders.clear();
    this.books.clear();
    this.mold.reset();
    this.last.fill(-1);
    this.stale = false;
  }

  /** End of input: buffered BBO lines are written out. */
  finish(): void {
    this.bbo?.close();
  }

  /** The summary's `itch` object. */
  summary(): ItchJson {
    return this.stats.toJson(
      this.mold,
      this.orders,
      this.books.count,
      this.stale,
      this.bbo?.lines ?? 0,
    );
  }
}
