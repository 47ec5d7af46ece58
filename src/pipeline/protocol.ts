/**
 * Messages and the shared control block between the main thread and the
 * pipeline Worker.
 *
 * @example
 * ```ts
 * import { Ctl, createControl } from "./protocol.ts";
 * const ctl = createControl();
 * Atomics.store(ctl, Ctl.command, Ctl.drain);
 * ```
 * @module
 */
import type { IdleKind } from "./idle.ts";
import type { GapEvent } from "./consumer_options.ts";
import type { BarOptions } from "../bars/options.ts";
import type { Shard } from "./shard.ts";
import type { ItchOptions } from "../feeds/itch/stage.ts";
import type { ItchJson } from "../feeds/itch/stats.ts";

/** Control block slots and commands. */
export const Ctl = {
  /** slot: command word */
  command: 0,
  /** slot: wake word the worker sleeps on */
  wake: 1,
  /** slot: which per-tick events subscribers want (TickWant bits) */
  want: 2,
  /** slot: bumped (and notified) each time events are published; the main thread waits on it */
  events: 3,
  /** command: keep consuming */
  run: 0,
  /** command: finish once the ring is closed and empty */
  drain: 1,
  /** command: stop now */
  abort: 2,
} as const;

/** Allocates a control block. */
export function createControl(): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(16));
}

/** main -> worker */
export interface WorkerStart {
  type: "start";
  ring: SharedArrayBuffer;
  counters: Float64Array<SharedArrayBuffer>;
  control: Int32Array<SharedArrayBuffer>;
  idle: IdleKind;
  spins: number;
  sleepUs: number;
  maxSymbols: number;
  /** Receive-to-bar latency histogram (HIST_SLOTS float64s, shared). */
  latency: Float64Array<SharedArrayBuffer>;
  /** Event-time-to-bar latency histogram (shared), recorded when `wireLatency`. */
  wire: Float64Array<SharedArrayBuffer>;
  wireLatency: boolean;
  /** Latest trade/quote per symbol (consumer LATEST layout), shared. */
  latest: Float64Array<SharedArrayBuffer>;
  /** Keep `latest` up to date: only the server reads it (false with --no-http). */
  keepLatest: boolean;
  /** Per symbol id: the per-tick events anyone wants for it (TickWant bits), shared. */
  interest: Uint8Array<SharedArrayBuffer>;
  /** Run the rule-based anomaly flags. */
  anomaly: boolean;
  /** Feature rows ring for the model scorer (undefined = no model). */
  rows?: SharedArrayBuffer;
  /** A full rows ring waits for the scorer (--policy block) instead of dropping rows. */
  rowsWait: boolean;
  /** Publish changed open bars every this many ms (0 = never). */
  liveBarsMs: number;
  /** Event ring (pipeline -> main thread). */
  events: SharedArrayBuffer;
  /** Bar stage settings; undefined = no bars. */
  bars?: BarOptions;
  /** Wall-clock close: after this many ms without ticks, event time is assumed to advance with the wall clock (0 = off). */
  idleCloseMs: number;
  /** Keep only this shard's symbols (--shard i/n). */
  shard?: Shard;
  /** Pin the Worker's thread to this CPU (--worker-cpu). */
  cpu?: number;
  /** SCHED_FIFO priority of the Worker's thread (--rt-priority). */
  rtPriority?: number;
  /** --protocol itch: records are MoldUDP64 packets (date resolved, BBO file) */
  itch?: ItchOptions & { bboOut?: string; rerequest?: string };
  /** --protocol itch: the shared block book snapshots are asked and answered through */
  books?: SharedArrayBuffer;
  /** What a tick must be (guard.ts): skew limit, live feed, sessions, sequence jumps. */
  guard: { maxSkewMs: number; live: boolean; maxSessions: number; maxSeqJump: number };
}

/** worker -> main, at the end */
export interface WorkerDone {
  type: "done";
  gapEvents: GapEvent[];
  symbols: string[];
  tradesBySymbol: number[];
  labels: number[];
  lateBySymbol: number[];
  barUpdates: number;
  eventWaits: number;
  barStateBytes: number;
  rowsWritten: number;
  rowsDropped: number;
  /** rejected-tick reports dropped because the event ring was full (the counts are exact) */
  rejectedReportDrops: number;
  /** flat bars not made (--fill prev bounded per advance) */
  fillSkipped: number;
  /** CLOCK_MONOTONIC ns of the first and the last poll that returned records (0 when none) */
  busyFromNs: number;
  busyToNs: number;
  /** --protocol itch: what the ITCH stage saw */
  itch?: ItchJson;
}
