/**
 * Shared memory the pipeline Worker writes and the main thread reads
 * without messages: the latest trade and quote per symbol, the word that
 * says which per-tick events subscribers want, and per symbol which of
 * them anyone wants for that symbol (so a trade nobody subscribed to never
 * crosses to the main thread).
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

/** The `want` word: the role's own bits plus what subscribers want. */
export function wantOf(base: number, d: { trades: boolean; quotes: boolean }): number {
  return base | (d.trades ? TickWant.trades : 0) | (d.quotes ? TickWant.quotes : 0);
}

/** Per-tick events of every kind (an interest byte's value until the main thread sets it). */
export const WANT_ALL = TickWant.trades | TickWant.quotes;

/**
 * Allocates the per-symbol interest bytes (TickWant trades/quotes bits by
 * symbol id), shared. Every byte starts as WANT_ALL: a symbol's first ticks
 * reach the main thread before it has learnt the symbol's name and can say
 * whether anyone wants it.
 */
export function createInterest(maxSymbols: number): Uint8Array<SharedArrayBuffer> {
  return new Uint8Array(new SharedArrayBuffer(maxSymbols)).fill(WANT_ALL);
}
