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
 * s.onRecord(new Uint8Array(20), 0, 20, 0, 0, 0); // a heartbeat of an empty session
 * console.log(s.stats.packets); // 1
 * ```
 * @module
 */
import type { RecordHandler } from "../../ring/ring.ts";
import { Side } from "../../wire/enums.ts";
import { M, MOLD, MSG_LEN, SIDE_BUY, T } from "./spec.ts";
import { MoldResult, MoldSequencer } from "./mold.ts";
import { OrderTable } from "./orders.ts";
import { type Book, Books, Change } from "./book.ts";
import { ItchTicks } from "./ticks_out.ts";
import { type ItchJson, ItchStats } from "./stats.ts";
import { type FillOptions, GapFiller, Line, type PacketHandler } from "./recovery.ts";
import { SRC_LINE_SHIFT } from "../../ring/layout.ts";

/** Settings of the stage. */
export interface ItchOptions {
  /** trading date, YYYY-MM-DD (ITCH times count from its New York midnight) */
  date: string;
  /** MoldUDP64 sequence checking (--mold-sequence check|off) */
  check: boolean;
  /** order table capacity (--max-orders) */
  maxOrders: number;
  /** a packet further ahead than this many messages waits for confirmation (--max-seq-jump) */
  maxJump?: number;
  /** lines of an A/B pair (1 or 2; records carry their line) */
  lines?: number;
  /**
   * gap filling: the wait for the other line and the re-request channel;
   * without it (and with one line) a gap is declared as soon as it is seen
   */
  fill?: FillOptions;
}

/** Where the stage reports what a frame of ticks cannot carry. */
export interface ItchSink {
  /** a MoldUDP64 gap that was not recovered */
  gap?(first: number, last: number): void;
  /** a broken trade (B): its match number */
  broken?(match: number): void;
}

const TWO32 = 4294967296;
const BUY = Side.Buy, SELL = Side.Sell;

/** MoldUDP64 + ITCH 5.0 -> books and tickwire ticks. */
export class ItchStage {
  readonly orders: OrderTable;
  readonly books = new Books();
  readonly mold: MoldSequencer;
  readonly stats: ItchStats;
  /** holds packets past a gap while it is filled (A/B lines, re-requests) */
  readonly filler?: GapFiller;
  /** trades and quotes on their way to the consumer */
  readonly ticks: ItchTicks;
  private bytes: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));
  /** the current message's locate and UTC time */
  private locate = 0;

  constructor(
    opts: ItchOptions,
    next: RecordHandler,
    private readonly sink: ItchSink = {},
  ) {
    this.orders = new OrderTable(opts.maxOrders);
    const filling = opts.check && opts.fill !== undefined;
    this.mold = new MoldSequencer(opts.check, filling, opts.maxJump);
    this.stats = new ItchStats(opts.lines ?? 1);
    this.ticks = new ItchTicks(opts.date, next, this.stats);
    if (filling) {
      this.filler = new GapFiller(this.mold, {
        replay: (b, o, l, lo, hi, line) => this.packet(b, o, l, lo, hi, line),
        lost: (first, last) => this.gap(first, last),
      }, opts.fill!);
    }
  }

  /** Ring record handler: one MoldUDP64 packet (its line in the source's high byte). */
  readonly onRecord: RecordHandler = (bytes, off, len, rxLo, rxHi, source) => {
    this.packet(bytes, off, len, rxLo, rxHi, (source >>> SRC_LINE_SHIFT) & 1);
    const f = this.filler;
    if (f !== undefined && f.pending) f.poll();
  };

  /** A gap being filled (the Worker keeps polling while this is true). */
  get filling(): boolean {
    return this.filler?.pending ?? false;
  }

  /** Re-request responses and deadlines, between packets. */
  poll(): void {
    this.filler?.poll();
  }

  private readonly packet: PacketHandler = (bytes, off, len, rxLo, rxHi, line) => {
    const st = this.stats;
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    const counted = line === Line.A || line === Line.B;
    if (counted) st.packets++;
    if (len < MOLD.header) {
      st.malformedPackets++;
      return;
    }
    const mold = this.mold, res = mold.onPacket(this.dv, off), count = mold.count;
    if (res === MoldResult.jump) return; // counted by the sequencer; not applied
    const end = count === MOLD.endOfSession;
    if (counted) st.arrive(line, mold.seq, end ? 0 : count);
    if (res === MoldResult.ahead) return this.filler!.hold(bytes, off, len, rxLo, rxHi);
    if (res === MoldResult.end) {
      st.endOfSession++;
      this.filler?.announce(mold.seq);
      return;
    }
    if (res === MoldResult.gap) this.gap(mold.gapFirst, mold.gapLast);
    if (count === 0) {
      st.heartbeats++;
      return;
    }
    if (res === MoldResult.duplicate) return st.duplicate(line);
    if (line === Line.recovery) st.noteRecovered(mold.seq + mold.skip, mold.seq + count - 1);
    this.ticks.begin(rxLo, rxHi, this.dv);
    this.messages(off + MOLD.header, off + len, count, mold.skip);
    this.ticks.flush();
    this.filler?.drain();
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
    this.ticks.at = p; // its time is read only if it makes a tick
    this.dispatch(type, p);
  }

  private dispatch(type: number, p: number): void {
    const dv = this.dv;
    switch (type) {
      case T.A:
      case T.F:
        this.learn(p + M.addStock);
        return this.add(p, dv.getUint32(p + M.ref), dv.getUint32(p + M.ref + 4));
      case T.D:
        return this.reduce(p, 0, true);
      case T.E:
        return this.execute(p, -1);
      case T.P:
        this.learn(p + M.addStock);
        return this.trade(dv.getUint32(p + M.addPrice), dv.getUint32(p + M.addShares), p + M.side);
      case T.C:
        return this.execute(
          p,
          this.bytes[p + M.printable] === 0x59 ? dv.getUint32(p + M.execPrice) : -2,
        );
      case T.X:
        return this.reduce(p, dv.getUint32(p + M.shares), false);
      case T.U:
        return this.replace(p);
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
    const L = this.locate, t = this.ticks;
    if (t.symLo[L] !== 0) return;
    t.symLo[L] = this.dv.getUint32(at, true);
    t.symHi[L] = this.dv.getUint32(at + 4, true);
  }

  private add(p: number, hi: number, lo: number): void {
    const dv = this.dv, side = this.bytes[p + M.side], L = this.locate;
    const shares = dv.getUint32(p + M.addShares), price = dv.getUint32(p + M.addPrice);
    if (this.orders.insert(hi, lo, L, side, shares, price) < 0) return; // counted overflow
    if (this.books.add(L, side, price, shares)) this.quote(L); // below the best: no BBO change
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
      this.ticks.trade(
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
    const ch = this.books.remove(L, o.side(slot), o.price(slot), shares, out);
    if (ch === Change.missing) this.stats.bookErrors++;
    if (out) o.remove(slot);
    else o.setShares(slot, left);
    if (ch === Change.best) this.quote(L);
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
    const ch = this.books.remove(L, side, o.price(slot), o.shares(slot), true);
    if (ch === Change.missing) this.stats.bookErrors++;
    o.remove(slot);
    const shares = dv.getUint32(p + M.replShares), price = dv.getUint32(p + M.replPrice);
    const hi = dv.getUint32(p + M.newRef), lo = dv.getUint32(p + M.newRef + 4);
    const added = o.insert(hi, lo, L, side, shares, price) >= 0 &&
      this.books.add(L, side, price, shares);
    if (ch === Change.best || added) this.quote(L);
  }

  /** P: a trade against a non-displayed order (side byte of that order at `sideAt`). */
  private trade(price: number, shares: number, sideAt: number): void {
    if (shares === 0) return;
    this.ticks.trade(this.locate, price, shares, this.bytes[sideAt] === SIDE_BUY ? SELL : BUY);
  }

  /** Q: the cross's price and shares (8-byte shares, exact to 2^53). */
  private cross(p: number): void {
    const dv = this.dv;
    const shares = dv.getUint32(p + M.crossShares) * TWO32 + dv.getUint32(p + M.crossShares + 4);
    if (shares === 0) return;
    this.ticks.trade(this.locate, dv.getUint32(p + M.crossPrice), Math.min(shares, 0xffffffff), 0);
  }

  /** The book of the stock whose 8 symbol bytes are lo/hi (a scan: for requests, not per message). */
  bookOf(lo: number, hi: number): Book | undefined {
    const t = this.ticks;
    for (let L = 0; L < 65536; L++) {
      if (t.symLo[L] === lo && t.symHi[L] === hi) return this.books.book(L);
    }
    return undefined;
  }

  /** A quote tick when the stock's best bid or offer changed. */
  private quote(L: number): void {
    const b = this.books.book(L);
    if (b !== undefined) this.ticks.quoteIfChanged(L, b);
  }

  /** An unrecovered gap: reported; every book is stale from now on. */
  private gap(first: number, last: number): void {
    this.stats.unrecovered += last - first + 1;
    this.stats.noteGap(first, last);
    this.ticks.stale = true;
    this.sink.gap?.(first, last);
  }

  /** Forgets orders, books and sequencing (a replay of the same packets as new ones). */
  reset(): void {
    this.orders.clear();
    this.books.clear();
    this.mold.reset();
    this.ticks.reset();
  }

  /** End of input: an open gap gets its tries; buffered BBO lines are written out. */
  finish(): void {
    this.filler?.finish();
    this.ticks.bbo?.close();
  }

  /** The summary's `itch` object. */
  summary(): ItchJson {
    return this.stats.toJson(
      this.mold,
      this.orders,
      this.books.count,
      this.ticks.stale,
      this.ticks.bbo?.lines ?? 0,
      this.filler,
    );
  }
}
