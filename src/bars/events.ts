/**
 * Pipeline events (bars, late ticks, gaps, symbol names) as fixed-layout
 * float64 records in a SharedArrayBuffer ring: the pipeline Worker writes
 * them in place (no objects), the main thread reads them. Events happen on
 * bar closes, not per tick.
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
import { Idler } from "../pipeline/idle.ts";

/** Event kinds (slot 0 of each record). */
export const Ev = { bar: 1, late: 2, symbol: 3, gap: 4, trade: 5, quote: 6, anomaly: 7 } as const;

/** Slots of an anomaly record. */
export const AN = {
  kind: 0,
  symbol: 1,
  sec: 2,
  nsec: 3,
  seq: 4,
  score: 5,
  anomaly: 6,
  price: 7,
  size: 8,
  exp: 9,
  hasFeatures: 10,
  features: 11, // 8 slots
} as const;
/** Bytes of an anomaly record. */
export const ANOMALY_BYTES = 19 * 8;

/** A decoded anomaly (symbol -1: not tied to a symbol, e.g. a gap). */
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

/** Slots of a trade or quote record (quotes: price/size = bid, price2/size2 = ask). */
export const TK = {
  kind: 0,
  symbol: 1,
  sec: 2,
  nsec: 3,
  seq: 4,
  price: 5,
  size: 6,
  price2: 7,
  size2: 8,
  exp: 9,
  side: 10,
} as const;
/** Bytes of a trade/quote record. */
export const TICK_BYTES = 11 * 8;

/** A decoded trade or quote. */
export interface TickEvent {
  kind: "trade" | "quote";
  symbol: number;
  sec: number;
  nsec: number;
  seq: number;
  price: number;
  size: number;
  price2: number;
  size2: number;
  exp: number;
  side: number;
}

/** Slots of a bar record. */
export const B = {
  kind: 0,
  window: 1,
  symbol: 2,
  start: 3,
  end: 4,
  open: 5,
  high: 6,
  low: 7,
  close: 8,
  exp: 9,
  volume: 10,
  trades: 11,
  pv: 12,
  firstSeq: 13,
  lastSeq: 14,
  flags: 15,
  revision: 16,
} as const;
/** Bytes of a bar record. */
export const BAR_BYTES = 17 * 8;
/** Bar flags. */
export const BarFlag = { final: 1, filled: 2 } as const;

/** Slots of a late-tick record. */
export const LT = {
  kind: 0,
  symbol: 1,
  sec: 2,
  nsec: 3,
  seq: 4,
  price: 5,
  size: 6,
  exp: 7,
  watermark: 8,
} as const;
/** Bytes of a late-tick record. */
export const LATE_BYTES = 9 * 8;

/** A decoded bar (main thread). */
export interface BarEvent {
  window: number;
  symbol: number;
  start: number;
  end: number;
  open: number;
  high: number;
  low: number;
  close: number;
  exp: number;
  volume: number;
  trades: number;
  pv: number;
  firstSeq: number;
  lastSeq: number;
  final: boolean;
  filled: boolean;
  revision: number;
}

/** A decoded late tick. */
export interface LateEvent {
  symbol: number;
  sec: number;
  nsec: number;
  seq: number;
  price: number;
  size: number;
  exp: number;
  watermark: number;
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

/**
 * Writer side (pipeline Worker). `reserve` returns a float64 index to fill;
 * when the ring is full it waits (yield) for the reader rather than lose an
 * event, and counts the waits.
 */
export class EventWriter {
  /** Float64 view of the whole ring buffer. */
  readonly f64: Float64Array;
  /** Times the writer had to wait for space. */
  waits = 0;
  private readonly p: RingProducer;
  private readonly idle = new Idler("sleep", { spins: 50, sleepUs: 200 });

  constructor(sab: SharedArrayBuffer) {
    this.p = new RingProducer(sab);
    this.f64 = new Float64Array(sab, 0, sab.byteLength >> 3);
  }

  /** Reserves `bytes`; returns the float64 index of the record. */
  reserve(bytes: number): number {
    let at = this.p.reserve(bytes);
    if (at < 0) {
      this.p.publish();
      this.idle.reset();
      while ((at = this.p.reserve(bytes)) < 0) {
        this.waits++;
        this.idle.idle();
      }
    }
    return at >> 3;
  }

  /** Finishes the record reserved last. */
  commit(bytes: number): void {
    this.p.commit(bytes);
  }

  /**
   * Reserves without waiting: -1 when the ring is full (the caller drops
   * and counts). For per-tick events, which must never hold up ingestion.
   */
  tryReserve(bytes: number): number {
    const at = this.p.reserve(bytes);
    return at < 0 ? -1 : at >> 3;
  }

  /** Announces a symbol name (once per symbol). */
  symbol(id: number, name: string): void {
    const bytes = new TextEncoder().encode(name);
    const len = 24 + bytes.length;
    const i = this.reserve(len);
    this.f64[i] = Ev.symbol;
    this.f64[i + 1] = id;
    this.f64[i + 2] = bytes.length;
    new Uint8Array(this.f64.buffer, (i + 3) * 8, bytes.length).set(bytes);
    this.commit(len);
  }

  /** A sequence gap. */
  gap(session: number, first: number, last: number): void {
    const i = this.reserve(32);
    this.f64[i] = Ev.gap;
    this.f64[i + 1] = session;
    this.f64[i + 2] = first;
    this.f64[i + 3] = last;
    this.commit(32);
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
        h.bar?.({
          window: f[i + B.window],
          symbol: f[i + B.symbol],
          start: f[i + B.start],
          end: f[i + B.end],
          open: f[i + B.open],
          high: f[i + B.high],
          low: f[i + B.low],
          close: f[i + B.close],
          exp: f[i + B.exp],
          volume: f[i + B.volume],
          trades: f[i + B.trades],
          pv: f[i + B.pv],
          firstSeq: f[i + B.firstSeq],
          lastSeq: f[i + B.lastSeq],
          final: (f[i + B.flags] & BarFlag.final) !== 0,
          filled: (f[i + B.flags] & BarFlag.filled) !== 0,
          revision: f[i + B.revision],
        });
        break;
      case Ev.late:
        h.late?.({
          symbol: f[i + LT.symbol],
          sec: f[i + LT.sec],
          nsec: f[i + LT.nsec],
          seq: f[i + LT.seq],
          price: f[i + LT.price],
          size: f[i + LT.size],
          exp: f[i + LT.exp],
          watermark: f[i + LT.watermark],
        });
        break;
      case Ev.symbol: {
        const n = f[i + 2];
        h.symbol?.(f[i + 1], this.dec.decode(new Uint8Array(this.ring.sab, off + 24, n).slice()));
        break;
      }
      case Ev.gap:
        h.gap?.(f[i + 1], f[i + 2], f[i + 3]);
        break;
      case Ev.anomaly:
        h.anomaly?.({
          symbol: f[i + AN.symbol],
          sec: f[i + AN.sec],
          nsec: f[i + AN.nsec],
          seq: f[i + AN.seq],
          score: f[i + AN.score],
          kind: f[i + AN.anomaly],
          price: f[i + AN.price],
          size: f[i + AN.size],
          exp: f[i + AN.exp],
          features: f[i + AN.hasFeatures]
            ? Array.from(
              f.subarray(i + AN.features, i + AN.features + 8),
              (x) => Number(x.toFixed(3)),
            )
            : undefined,
        });
        break;
      case Ev.trade:
      case Ev.quote:
        h.tick?.({
          kind: f[i] === Ev.trade ? "trade" : "quote",
          symbol: f[i + TK.symbol],
          sec: f[i + TK.sec],
          nsec: f[i + TK.nsec],
          seq: f[i + TK.seq],
          price: f[i + TK.price],
          size: f[i + TK.size],
          price2: f[i + TK.price2],
          size2: f[i + TK.size2],
          exp: f[i + TK.exp],
          side: f[i + TK.side],
        });
        break;
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
