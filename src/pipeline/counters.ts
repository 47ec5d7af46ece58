/**
 * Pipeline counters shared between the pipeline Worker (sole writer) and
 * the main thread (reader) through a SharedArrayBuffer of float64 slots.
 * Counts stay exact up to 2^53.
 *
 * @example
 * ```ts
 * import { C, createCounters, snapshot } from "./counters.ts";
 * const c = createCounters();
 * c[C.ticks] += 3;
 * console.log(snapshot(c).ticks); // 3
 * ```
 * @module
 */

/** Slot of each counter. */
export const C = {
  records: 0,
  frames: 1,
  ticks: 2,
  trades: 3,
  quotes: 4,
  malformed: 5,
  unknownKind: 6,
  gaps: 7,
  missing: 8,
  duplicates: 9,
  outOfOrder: 10,
  late: 11,
  bars: 12,
  symbols: 13,
  symbolOverflow: 14,
  naps: 15,
  checksum: 16,
  volume: 17,
  labelled: 18,
  heartbeats: 19,
  /** sessions forgotten to make room (least recently seen first) */
  sessionEvictions: 20,
  tickEventDrops: 21,
  anomalies: 22,
  /** ticks of symbols that another shard owns (--shard) */
  foreign: 23,
  /** every tick of every well-formed frame: each one ends in exactly one of
   * ticks, duplicateTicks, rejected, foreign, symbolOverflow */
  ticksSeen: 24,
  /** ticks of duplicate frames, and the already-seen part of overlapping ones */
  duplicateTicks: 25,
  /** ticks refused, by reason (the sum is `rejected`) */
  rejected: 26,
  rejectedTime: 27,
  rejectedPrice: 28,
  rejectedExponent: 29,
  rejectedSymbol: 30,
  rejectedImplausible: 31,
  rejectedJump: 32,
  /** frames more than --max-seq-jump ahead, held back */
  seqJumps: 33,
  /** sessions that started again (end of session, or back at sequence 1) */
  sessionRestarts: 34,
  /** trade/quote events written for subscribers (only symbols someone wants) */
  tickEvents: 35,
} as const;

/** Number of slots. */
export const COUNTER_SLOTS = 36;

/** Named counter values. */
export type CounterValues = { -readonly [K in keyof typeof C]: number };

/** Allocates the shared counters. */
export function createCounters(): Float64Array<SharedArrayBuffer> {
  return new Float64Array(new SharedArrayBuffer(COUNTER_SLOTS * 8));
}

/** Copies the counters into a plain object (allocates). */
export function snapshot(c: Float64Array): CounterValues {
  const out = {} as CounterValues;
  for (const [k, i] of Object.entries(C)) out[k as keyof typeof C] = c[i];
  return out;
}
