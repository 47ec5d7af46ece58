/**
 * Shared memory the pipeline Worker writes and the main thread reads
 * without messages: the latest trade and quote per symbol, and the word
 * that says which per-tick events subscribers want.
 *
 * @example
 * ```ts
 * import { createLatest, LATEST } from "./shared.ts";
 * const latest = createLatest(16);
 * latest[3 * LATEST.slots + LATEST.slot.price] = 101.5; // symbol 3's last trade price
 * ```
 * @module
 */
import { defineRecord } from "../ring/records.ts";

/** Per-symbol slots of the `latest` array (one record per symbol id). */
export const LATEST = defineRecord([
  "price",
  "size",
  "sec",
  "nsec",
  "seq",
  "exp",
  "bid",
  "bidSize",
  "ask",
  "askSize",
  "quoteSec",
  "quoteNsec",
]);

/** Allocates the latest-tick array for `maxSymbols` symbols (shared). */
export function createLatest(maxSymbols: number): Float64Array<SharedArrayBuffer> {
  return new Float64Array(new SharedArrayBuffer(maxSymbols * LATEST.bytes));
}

/** Bits of the `want` word. */
export const TickWant = {
  trades: 1,
  quotes: 2,
  /** wait for room instead of dropping trade/quote events (a processor publishing to NATS) */
  lossless: 4,
} as const;
