/**
 * What the bar stage emits, declared once: the bar and late-tick record
 * layouts (float64 slots; slot 0 is left for the carrier's record kind),
 * the bar flags, and the `BarHandler` the aggregator emits through. The
 * aggregator fills one scratch record and hands it over; it never knows
 * where bars go (the pipeline's handler copies them into the event ring).
 *
 * @example
 * ```ts
 * import { BAR, BarFlag, decodeBar } from "./bar.ts";
 * const r = new Float64Array(BAR.slots);
 * r[BAR.slot.flags] = BarFlag.final;
 * console.log(BAR.bytes, decodeBar(r, 0).final); // 152 true
 * ```
 * @module
 */
import { defineRecord, readRecord, type RecordFields } from "../ring/records.ts";

/**
 * A bar: window index, symbol id, bounds (ms), fixed-point OHLC, volume,
 * sequence range, and the volume of trades whose aggressor was a buyer or
 * a seller (trades of unknown side count in `volume` only).
 */
export const BAR = defineRecord([
  "kind",
  "window",
  "symbol",
  "start",
  "end",
  "open",
  "high",
  "low",
  "close",
  "exp",
  "volume",
  "trades",
  "pv",
  "firstSeq",
  "lastSeq",
  "flags",
  "revision",
  "buyVolume",
  "sellVolume",
]);

/** A tick that came after its bar was final. */
export const LATE = defineRecord([
  "kind",
  "symbol",
  "sec",
  "nsec",
  "seq",
  "price",
  "size",
  "exp",
  "watermark",
]);

/** Bar flags (the `flags` slot). */
export const BarFlag = { final: 1, filled: 2 } as const;

/** Where the aggregator's output goes; `rec` is reused: copy what you keep. */
export interface BarHandler {
  /** A bar record (BAR layout), final, provisional or in progress. */
  bar(rec: Float64Array): void;
  /** A late tick record (LATE layout). */
  late(rec: Float64Array): void;
}

/** A decoded bar (main thread). */
export type BarEvent = Omit<RecordFields<typeof BAR>, "kind" | "flags"> & {
  final: boolean;
  filled: boolean;
};

/** A decoded late tick. */
export type LateEvent = Omit<RecordFields<typeof LATE>, "kind">;

const B = BAR.slot;

/**
 * Decodes a bar record at float64 index `i` (field by field: the main thread
 * decodes a burst of them every live-bar period, and the generic
 * `readRecord` costs several times more).
 */
export function decodeBar(f: Float64Array, i: number): BarEvent {
  const flags = f[i + B.flags];
  return {
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
    revision: f[i + B.revision],
    buyVolume: f[i + B.buyVolume],
    sellVolume: f[i + B.sellVolume],
    final: (flags & BarFlag.final) !== 0,
    filled: (flags & BarFlag.filled) !== 0,
  };
}

/** Decodes a late-tick record at float64 index `i`. */
export function decodeLate(f: Float64Array, i: number): LateEvent {
  const { kind: _k, ...rest } = readRecord(LATE, f, i);
  return rest;
}
