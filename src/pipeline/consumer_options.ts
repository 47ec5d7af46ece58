/**
 * What the per-tick stage (`consumer.ts`) is built from: its options, and
 * the gap record it keeps for the summary.
 * @module
 */
import type { BarAggregator } from "../bars/aggregator.ts";
import type { EventWriter } from "./events.ts";
import type { Histogram } from "./latency.ts";
import type { AnomalyRules } from "../anomaly/rules.ts";
import type { RowWriter } from "../anomaly/rows.ts";
import type { FeatureExtractor } from "../anomaly/features.ts";
import type { Shard } from "./shard.ts";

/** A sequence gap, reported to the summary and (later) subscribers. */
export interface GapEvent {
  session: number;
  first: number;
  last: number;
}

/** Options of the consumer. */
export interface ConsumerOptions {
  /** Symbol capacity (preallocated state). */
  maxSymbols?: number;
  /** Shared counters to write (default: private ones). */
  counters?: Float64Array;
  /** Gap events kept for the summary (default 1000). */
  maxGapEvents?: number;
  /** The bar stage (optional). */
  bars?: BarAggregator;
  /** Where symbol and gap events go (optional). */
  events?: EventWriter;
  /**
   * Receive-to-update latency: a histogram and a clock in CLOCK_MONOTONIC
   * ns (the clock of the rx stamps). Recorded once per frame, for each tick.
   */
  latency?: Histogram;
  clock?: () => number;
  /**
   * Event-time-to-update latency (CLOCK_REALTIME now minus the first taken
   * tick's event time), for publishers that stamp ticks with their send time.
   */
  wire?: Histogram;
  /**
   * Latest trade and quote per symbol (LATEST record per symbol), in
   * shared memory so the server thread can read them without messages.
   */
  latest?: Float64Array;
  /** Keep `latest` up to date (default true); false when nothing reads it (no server). */
  keepLatest?: boolean;
  /** Shared word: which per-tick events subscribers want (TickWant bits); read once per frame. */
  want?: Int32Array;
  /** Shared, per symbol id: which of them anyone wants for that symbol (TickWant bits). */
  interest?: Uint8Array;
  /** Rule-based anomaly flags (optional). */
  rules?: AnomalyRules;
  /** Feature rows for the model scorer (optional; needs `features`). */
  rows?: RowWriter;
  features?: FeatureExtractor;
  /**
   * Keep only the symbols of this shard (`--shard i/n`); ticks of other
   * shards' symbols are counted as `foreign` and go no further.
   */
  shard?: Shard;
  /** most event time may run ahead of the watermark (or the wall clock), ms; 0 = no limit */
  maxSkewMs?: number;
  /** a live feed: event time is also checked against the wall clock */
  live?: boolean;
  /** sessions tracked at once (the least recently seen is forgotten past it) */
  maxSessions?: number;
  /** sequence numbers a frame may skip before it is held back */
  maxSeqJump?: number;
}
