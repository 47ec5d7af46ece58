/**
 * The main thread's side of the event ring: decodes each record by its
 * declared layout (`events.ts`, `bars/bar.ts`) and calls the handler for
 * its kind. Events happen on bar closes, flags and subscribed ticks, not
 * for every tick, so decoding into objects here is fine.
 *
 * @example
 * ```ts
 * import { createRing, RingConsumer } from "../ring/ring.ts";
 * import { EventWriter } from "./events.ts";
 * import { EventReader } from "./event_reader.ts";
 * const sab = createRing(1 << 16, 1024);
 * const w = new EventWriter(sab);
 * w.gap(1, 5, 9);
 * w.flush();
 * new EventReader(new RingConsumer(sab)).poll({ gap: (s, a, b) => console.log(s, a, b) });
 * ```
 * @module
 */
import type { RingConsumer } from "../ring/ring.ts";
import { readRecord } from "../ring/records.ts";
import { type BarEvent, decodeBar, decodeLate, type LateEvent } from "../bars/bar.ts";
import {
  ANOMALY,
  ANOMALY_FEATURES,
  type AnomalyEvent,
  Ev,
  GAP,
  NOTICE,
  type NoticeEvent,
  REJECTED,
  type RejectedEvent,
  SYMBOL,
  TICK,
  type TickEvent,
} from "./events.ts";

/** Callbacks of EventReader.poll. */
export interface EventHandlers {
  bar?(b: BarEvent): void;
  late?(l: LateEvent): void;
  symbol?(id: number, name: string): void;
  tick?(t: TickEvent): void;
  anomaly?(a: AnomalyEvent): void;
  gap?(session: number, first: number, last: number): void;
  notice?(n: NoticeEvent): void;
  rejected?(r: RejectedEvent): void;
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

// written out field by field: one object of one shape per tick (the generic
// readRecord + spread cost two objects with dynamic keys at high rates)
function decodeTick(f: Float64Array, i: number): TickEvent {
  const S = TICK.slot;
  return {
    kind: f[i] === Ev.trade ? "trade" : "quote",
    symbol: f[i + S.symbol],
    sec: f[i + S.sec],
    nsec: f[i + S.nsec],
    seq: f[i + S.seq],
    price: f[i + S.price],
    size: f[i + S.size],
    price2: f[i + S.price2],
    size2: f[i + S.size2],
    exp: f[i + S.exp],
    side: f[i + S.side],
    rx: f[i + S.rx],
  };
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
      case Ev.notice: {
        const { kind: _k, ...n } = readRecord(NOTICE, f, i);
        return h.notice?.(n);
      }
      case Ev.rejected: {
        const { kind: _k, ...r } = readRecord(REJECTED, f, i);
        return h.rejected?.(r);
      }
      default:
        throw new Error(`unknown pipeline event ${f[i]} (${len} bytes)`);
    }
  };

  /** Delivers pending events; returns how many. */
  poll(handlers: EventHandlers, max?: number): number {
    this.h = handlers;
    return this.ring.poll(this.onRecord, max);
  }

  /** True once the writer closed the stream and all was read. */
  drained(): boolean {
    return this.ring.drained();
  }
}
