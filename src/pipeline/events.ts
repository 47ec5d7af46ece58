/**
 * Pipeline events (symbol names, bars, late ticks, gaps, trades and quotes
 * for subscribers, anomalies) as fixed-layout float64 records in a
 * SharedArrayBuffer ring: the pipeline Worker writes them in place (no
 * objects), the main thread reads them. Each layout is declared once
 * (here, or in `bars/bar.ts` for what the bar stage emits); slot 0 of
 * every record is its kind (`Ev`).
 *
 * Back-pressure, by name: `reserve` waits for the reader when the ring is
 * full (for events that must not be lost: bars, late ticks, gaps, symbols,
 * anomalies, notices), while `tryReserve` returns -1 at once (the caller
 * drops and counts). Droppable events (ticks for subscribers, rejected-tick
 * reports) may only fill half the ring: the other half stays for the events
 * that must not be lost, so a lagging main thread makes ticks drop (counted)
 * long before it could make the Worker wait.
 *
 * The main thread reads them with `EventReader` (`event_reader.ts`).
 *
 * @example
 * ```ts
 * import { createRing, RingConsumer } from "../ring/ring.ts";
 * import { EventWriter } from "./events.ts";
 * import { EventReader } from "./event_reader.ts";
 * const sab = createRing(1 << 16, 1024);
 * const w = new EventWriter(sab);
 * w.symbol(0, "AAPL");
 * w.flush();
 * const r = new EventReader(new RingConsumer(sab));
 * r.poll({ symbol: (id, name) => console.log(id, name) });
 * ```
 * @module
 */
import { RingProducer } from "../ring/ring.ts";
import { defineRecord, type RecordFields } from "../ring/records.ts";
import { Idler } from "./idle.ts";
import type { Tick } from "../wire/generated/tickwire_generated.ts";
import { BAR, type BarEvent, type BarHandler, LATE, type LateEvent } from "../bars/bar.ts";

export type { BarEvent, LateEvent };

const TWO32 = 4294967296;

/** Event kinds (slot 0 of each record). */
export const Ev = {
  bar: 1,
  late: 2,
  symbol: 3,
  gap: 4,
  trade: 5,
  quote: 6,
  anomaly: 7,
  notice: 8,
  rejected: 9,
} as const;

/** What a notice tells (its `code`). */
export const Notice = {
  /** a session started again: sequences first..last were taken as its new start */
  restart: 1,
  /** a frame jumped too far ahead in sequence: first..last held back, not taken */
  jump: 2,
  /** ITCH: a trade was broken (B); first = last = its match number */
  broken: 3,
} as const;
/** Names of the notice codes, as reported. */
export const NOTICE_NAMES = ["", "session_restart", "sequence_jump", "broken_trade"] as const;

/** A session-level notice. */
export const NOTICE = defineRecord(["kind", "code", "session", "first", "last"]);
/** A rejected tick: the reason (guard.ts Reject) and what it carried. */
export const REJECTED = defineRecord([
  "kind",
  "reason",
  "symbolLo",
  "symbolHi",
  "sec",
  "nsec",
  "seq",
  "price",
  "exp",
]);

/** A symbol's name: the record is followed by `length` UTF-8 bytes. */
export const SYMBOL = defineRecord(["kind", "id", "length"]);
/** A sequence gap: sequences first..last of a session are missing. */
export const GAP = defineRecord(["kind", "session", "first", "last"]);
/** A trade or quote (quotes: price/size = bid, price2/size2 = ask). */
export const TICK = defineRecord([
  "kind",
  "symbol",
  "sec",
  "nsec",
  "seq",
  "price",
  "size",
  "price2",
  "size2",
  "exp",
  "side",
  "rx",
]);
/** Feature values carried by an anomaly record. */
export const ANOMALY_FEATURES = 8;
/** An anomaly (`anomaly` = its AnomalyKind; symbol -1: not tied to a symbol, e.g. a gap). */
export const ANOMALY = defineRecord([
  "kind",
  "symbol",
  "sec",
  "nsec",
  "seq",
  "score",
  "anomaly",
  "price",
  "size",
  "exp",
  "hasFeatures",
  "features",
], { features: ANOMALY_FEATURES });

/** A decoded trade or quote. */
export type TickEvent = Omit<RecordFields<typeof TICK>, "kind"> & { kind: "trade" | "quote" };

/** A decoded anomaly (`kind` = AnomalyKind). */
export interface AnomalyEvent {
  symbol: number;
  sec: number;
  nsec: number;
  seq: number;
  score: number;
  kind: number;
  price: number;
  size: number;
  exp: number;
  /** the features that drove it, when the model stage runs */
  features?: number[];
}

/** A decoded notice. */
export type NoticeEvent = Omit<RecordFields<typeof NOTICE>, "kind">;
/** A decoded rejected tick. */
export type RejectedEvent = Omit<RecordFields<typeof REJECTED>, "kind">;

/** Writer side (pipeline Worker); also the bar stage's handler. */
export class EventWriter implements BarHandler {
  /** Float64 view of the whole ring buffer. */
  readonly f64: Float64Array;
  /** Times the writer had to wait for space. */
  waits = 0;
  /** Rejected-tick reports dropped because the ring was full. */
  rejectedDrops = 0;
  private readonly p: RingProducer;
  private readonly idle = new Idler("sleep", { spins: 50, sleepUs: 200 });
  private readonly enc = new TextEncoder();
  /** free bytes droppable events must leave */
  private readonly half: number;

  /**
   * `signal`: a shared word bumped and notified whenever events become
   * visible, so the reader can sleep until there is something to read.
   */
  constructor(
    sab: SharedArrayBuffer,
    private readonly signal?: { word: Int32Array; index: number },
  ) {
    this.p = new RingProducer(sab);
    this.f64 = new Float64Array(sab, 0, sab.byteLength >> 3);
    this.half = this.p.capacity >> 1;
  }

  /** Wakes a reader waiting on the signal word. */
  private wakeReader(): void {
    const s = this.signal;
    if (s === undefined) return;
    Atomics.add(s.word, s.index, 1);
    Atomics.notify(s.word, s.index);
  }

  /** Reserves `bytes`, waiting for the reader while the ring is full; returns the float64 index. */
  reserve(bytes: number): number {
    let at = this.p.tryReserve(bytes);
    if (at < 0) {
      if (this.p.publish()) this.wakeReader(); // the reader must drain for room to come
      this.idle.reset();
      while ((at = this.p.tryReserve(bytes)) < 0) {
        this.waits++;
        this.idle.idle();
      }
    }
    return at >> 3;
  }

  /**
   * Reserves without waiting: -1 when the ring is full, or fuller than half
   * when `droppable` (the caller drops and counts).
   */
  tryReserve(bytes: number, droppable = true): number {
    const at = this.p.tryReserve(bytes, droppable ? this.half : 0);
    return at < 0 ? -1 : at >> 3;
  }

  /** Finishes the record reserved last. */
  commit(bytes: number): void {
    this.p.commit(bytes);
  }

  /** BarHandler: copies a bar record in (never dropped). */
  bar(rec: Float64Array): void {
    this.copy(Ev.bar, rec, BAR.slots);
  }

  /** BarHandler: copies a late-tick record in (never dropped). */
  late(rec: Float64Array): void {
    this.copy(Ev.late, rec, LATE.slots);
  }

  private copy(kind: number, rec: Float64Array, slots: number): void {
    const i = this.reserve(slots * 8), f = this.f64;
    for (let k = 1; k < slots; k++) f[i + k] = rec[k];
    f[i] = kind;
    this.commit(slots * 8);
  }

  /** Announces a symbol name (once per symbol). */
  symbol(id: number, name: string): void {
    const bytes = this.enc.encode(name);
    const len = SYMBOL.bytes + bytes.length;
    const i = this.reserve(len), f = this.f64;
    f[i + SYMBOL.slot.kind] = Ev.symbol;
    f[i + SYMBOL.slot.id] = id;
    f[i + SYMBOL.slot.length] = bytes.length;
    new Uint8Array(f.buffer, i * 8 + SYMBOL.bytes, bytes.length).set(bytes);
    this.commit(len);
  }

  /** A sequence gap. */
  gap(session: number, first: number, last: number): void {
    const i = this.reserve(GAP.bytes), f = this.f64;
    f[i + GAP.slot.kind] = Ev.gap;
    f[i + GAP.slot.session] = session;
    f[i + GAP.slot.first] = first;
    f[i + GAP.slot.last] = last;
    this.commit(GAP.bytes);
  }

  /**
   * A trade or quote for subscribers, sequence `seq[0] + i`: waits for room
   * when `lossless`, else false when the ring is full (the caller counts).
   */
  tick(
    kind: number,
    sym: number,
    t: Tick,
    seq: Float64Array,
    i: number,
    lossless: boolean,
  ): boolean {
    const at = lossless ? this.reserve(TICK.bytes) : this.tryReserve(TICK.bytes);
    if (at < 0) return false;
    const f = this.f64, S = TICK.slot;
    f[at + S.kind] = kind;
    f[at + S.symbol] = sym;
    f[at + S.sec] = t.tsSec();
    f[at + S.nsec] = t.tsNsec();
    f[at + S.seq] = seq[0] + i;
    f[at + S.price] = t.priceHi() * TWO32 + t.priceLo();
    f[at + S.size] = t.size();
    f[at + S.price2] = t.price2Hi() * TWO32 + t.price2Lo();
    f[at + S.size2] = t.size2();
    f[at + S.exp] = t.priceExp();
    f[at + S.side] = t.side();
    f[at + S.rx] = seq[1]; // the frame's receive time (CLOCK_MONOTONIC ns; 0 = none)
    this.commit(TICK.bytes);
    return true;
  }

  /** An anomaly (kind: AnomalyKind), with the features that drove it; never dropped (waits for room). */
  anomaly(
    sym: number,
    t: Tick,
    kind: number,
    score: number,
    seq: number,
    features?: Float32Array,
  ): void {
    const at = this.reserve(ANOMALY.bytes);
    const f = this.f64, S = ANOMALY.slot;
    f[at + S.kind] = Ev.anomaly;
    f[at + S.symbol] = sym;
    f[at + S.sec] = t.tsSec();
    f[at + S.nsec] = t.tsNsec();
    f[at + S.seq] = seq;
    f[at + S.score] = score;
    f[at + S.anomaly] = kind;
    f[at + S.price] = t.priceHi() * TWO32 + t.priceLo();
    f[at + S.size] = t.size();
    f[at + S.exp] = t.priceExp();
    f[at + S.hasFeatures] = features ? 1 : 0;
    for (let k = 0; k < ANOMALY_FEATURES; k++) f[at + S.features + k] = features ? features[k] : 0;
    this.commit(ANOMALY.bytes);
  }

  /** A session-level notice (never dropped: rare). */
  notice(code: number, session: number, first: number, last: number): void {
    const i = this.reserve(NOTICE.bytes), f = this.f64, S = NOTICE.slot;
    f[i + S.kind] = Ev.notice;
    f[i + S.code] = code;
    f[i + S.session] = session;
    f[i + S.first] = first;
    f[i + S.last] = last;
    this.commit(NOTICE.bytes);
  }

  /** A rejected tick; dropped when the ring is full (the counters stay exact). */
  rejected(reason: number, t: Tick, seq: number): void {
    const i = this.tryReserve(REJECTED.bytes), f = this.f64, S = REJECTED.slot;
    if (i < 0) {
      this.rejectedDrops++;
      return;
    }
    f[i + S.kind] = Ev.rejected;
    f[i + S.reason] = reason;
    f[i + S.symbolLo] = t.symbolLo();
    f[i + S.symbolHi] = t.symbolHi();
    f[i + S.sec] = t.tsSec();
    f[i + S.nsec] = t.tsNsec();
    f[i + S.seq] = seq;
    f[i + S.price] = t.priceHi() * TWO32 + t.priceLo();
    f[i + S.exp] = t.priceExp();
    this.commit(REJECTED.bytes);
  }

  /** Makes written events visible, and wakes the reader. */
  flush(): void {
    if (this.p.publish()) this.wakeReader();
  }

  /** Flushes and marks the stream finished. */
  close(): void {
    this.p.close();
    this.wakeReader();
  }
}
