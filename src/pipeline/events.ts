/**
 * Pipeline events (symbol names, bars, late ticks, gaps, trades and quotes
 * for subscribers, anomalies) as fixed-layout float64 records in a
 * SharedArrayBuffer ring: the pipeline Worker writes them in place (no
 * objects), the main thread reads them. Each layout is declared once
 * (here, or in `bars/bar.ts` for what the bar stage emits); slot 0 of
 * every record is its kind (`Ev`).
 *
 * Back-pressure, by name: `reserve` waits for the reader when the ring is
 * full (for events that must not be lost: bars, gaps, symbols), while
 * `tryReserve` returns -1 at once (the caller drops and counts).
 *
 * @example
 * ```ts
 * import { createRing, RingConsumer } from "../ring/ring.ts";
 * import { EventReader, EventWriter } from "./events.ts";
 * const sab = createRing(1 << 16, 1024);
 * const w = new EventWriter(sab);
 * w.symbol(0, "AAPL");
 * w.flush();
 * const r = new EventReader(new RingConsumer(sab));
 * r.poll({ symbol: (id, name) => console.log(id, name) });
 * ```
 * @module
 */
import { type RingConsumer, RingProducer } from "../ring/ring.ts";
import { defineRecord, readRecord, type RecordFields } from "../ring/records.ts";
import { Idler } from "./idle.ts";
import {
  BAR,
  type BarEvent,
  type BarHandler,
  decodeBar,
  decodeLate,
  LATE,
  type LateEvent,
} from "../bars/bar.ts";

export type { BarEvent, LateEvent };

/** Event kinds (slot 0 of each record). */
export const Ev = { bar: 1, late: 2, symbol: 3, gap: 4, trade: 5, quote: 6, anomaly: 7 } as const;

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

/** Callbacks of EventReader.poll. */
export interface EventHandlers {
  bar?(b: BarEvent): void;
  late?(l: LateEvent): void;
  symbol?(id: number, name: string): void;
  tick?(t: TickEvent): void;
  anomaly?(a: AnomalyEvent): void;
  gap?(session: number, first: number, last: number): void;
}

/** Writer side (pipeline Worker); also the bar stage's handler. */
export class EventWriter implements BarHandler {
  /** Float64 view of the whole ring buffer. */
  readonly f64: Float64Array;
  /** Times the writer had to wait for space. */
  waits = 0;
  private readonly p: RingProducer;
  private readonly idle = new Idler("sleep", { spins: 50, sleepUs: 200 });
  private readonly enc = new TextEncoder();

  constructor(sab: SharedArrayBuffer) {
    this.p = new RingProducer(sab);
    this.f64 = new Float64Array(sab, 0, sab.byteLength >> 3);
  }

  /** Reserves `bytes`, waiting for the reader while the ring is full; returns the float64 index. */
  reserve(bytes: number): number {
    let at = this.p.tryReserve(bytes);
    if (at < 0) {
      this.p.publish();
      this.idle.reset();
      while ((at = this.p.tryReserve(bytes)) < 0) {
        this.waits++;
        this.idle.idle();
      }
    }
    return at >> 3;
  }

  /** Reserves without waiting: -1 when the ring is full (the caller drops and counts). */
  tryReserve(bytes: number): number {
    const at = this.p.tryReserve(bytes);
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

  /** Makes written events visible. */
  flush(): void {
    this.p.publish();
  }

  /** Flushes and marks the stream finished. */
  close(): void {
    this.p.close();
  }
}

function decodeAnomaly(f: Float64Array, i: number): AnomalyEvent {
  const r = readRecord(ANOMALY, f, i), at = i + ANOMALY.slot.features;
  return {
    symbol: r.symbol,
    sec: r.sec,
    nsec: r.nsec,
    seq: r.seq,
    score: r.score,
    kind: r.anomaly,
    price: r.price,
    size: r.size,
    exp: r.exp,
    features: r.hasFeatures
      ? Array.from(f.subarray(at, at + ANOMALY_FEATURES), (x) => Number(x.toFixed(3)))
      : undefined,
  };
}

function decodeTick(f: Float64Array, i: number): TickEvent {
  const { kind, ...rest } = readRecord(TICK, f, i);
  return { ...rest, kind: kind === Ev.trade ? "trade" : "quote" };
}

/** Reader side (main thread). */
export class EventReader {
  private readonly f64: Float64Array;
  private h: EventHandlers = {};
  private readonly dec = new TextDecoder();

  constructor(readonly ring: RingConsumer) {
    this.f64 = new Float64Array(ring.sab, 0, ring.sab.byteLength >> 3);
  }

  private readonly onRecord = (_b: Uint8Array, off: number, len: number) => {
    const f = this.f64, i = off >> 3, h = this.h;
    switch (f[i]) {
      case Ev.bar:
        return h.bar?.(decodeBar(f, i));
      case Ev.late:
        return h.late?.(decodeLate(f, i));
      case Ev.symbol: {
        const n = f[i + SYMBOL.slot.length], at = off + SYMBOL.bytes;
        const name = this.dec.decode(new Uint8Array(this.ring.sab, at, n).slice());
        return h.symbol?.(f[i + SYMBOL.slot.id], name);
      }
      case Ev.gap: {
        const g = readRecord(GAP, f, i);
        return h.gap?.(g.session, g.first, g.last);
      }
      case Ev.anomaly:
        return h.anomaly?.(decodeAnomaly(f, i));
      case Ev.trade:
      case Ev.quote:
        return h.tick?.(decodeTick(f, i));
      default:
        throw new Error(`unknown pipeline event ${f[i]} (${len} bytes)`);
    }
  };

  /** Delivers pending events; returns how many. */
  poll(handlers: EventHandlers): number {
    this.h = handlers;
    return this.ring.poll(this.onRecord);
  }

  /** True once the writer closed the stream and all was read. */
  drained(): boolean {
    return this.ring.drained();
  }
}
