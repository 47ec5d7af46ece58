/**
 * Feature rows on their way from the pipeline Worker to the scoring Worker:
 * fixed float64 records in a SharedArrayBuffer ring. On a live feed a full
 * ring drops the row (counted): ingestion never waits for inference. A
 * replay that may wait (`--policy block`) waits for the scorer instead, so
 * every row is scored; a scorer that makes no room for STALL_MS is taken
 * as gone, and rows drop (counted) from then on.
 *
 * @example
 * ```ts
 * import { ROW_BYTES } from "./rows.ts";
 * console.log(ROW_BYTES); // 112
 * ```
 * @module
 */
import { RingProducer } from "../ring/ring.ts";
import { defineRecord } from "../ring/records.ts";
import type { Tick } from "../wire/generated/tickwire_generated.ts";
import { FEATURES } from "./features.ts";

/** A row: symbol, time, sequence, rule kind, receive time (ns), then the features. */
export const ROW = defineRecord(["symbol", "sec", "nsec", "seq", "rule", "rx", "features"], {
  features: FEATURES,
});
/** Longest wait for the scorer to make room (replays), ms. */
export const STALL_MS = 5000;
/** Slot of each row field. */
export const RW = ROW.slot;
/** Bytes of a row. */
export const ROW_BYTES = ROW.bytes;

/** Writer (pipeline Worker). */
export class RowWriter {
  /** Rows dropped because the scorer was behind. */
  dropped = 0;
  written = 0;
  private readonly p: RingProducer;
  private readonly f64: Float64Array;

  /** `wait`: a full ring waits for the scorer (replays) instead of dropping (live). */
  constructor(sab: SharedArrayBuffer, private wait = false) {
    this.p = new RingProducer(sab);
    this.f64 = new Float64Array(sab, 0, sab.byteLength >> 3);
  }

  /**
   * Appends one row (features from `f`); the sequence is seq[0] + i and the
   * receive time (CLOCK_MONOTONIC ns, for the added-latency measurement)
   * seq[1].
   */
  write(sym: number, t: Tick, seq: Float64Array, i: number, rule: number, f: Float32Array): void {
    const at = this.wait ? this.p.reserve(ROW_BYTES, STALL_MS) : this.p.tryReserve(ROW_BYTES);
    if (at < 0) {
      this.dropped++;
      this.wait = false; // a scorer that made no room in STALL_MS is not waited for again
      return;
    }
    const x = this.f64, b = at >> 3;
    x[b + RW.symbol] = sym;
    x[b + RW.sec] = t.tsSec();
    x[b + RW.nsec] = t.tsNsec();
    x[b + RW.seq] = seq[0] + i;
    x[b + RW.rule] = rule;
    x[b + RW.rx] = seq[1];
    for (let k = 0; k < FEATURES; k++) x[b + RW.features + k] = f[k];
    this.p.commit(ROW_BYTES);
    this.written++;
  }

  /** Publishes written rows. */
  flush(): void {
    this.p.publish();
  }

  /** Publishes and marks the stream finished. */
  close(): void {
    this.p.close();
  }
}
