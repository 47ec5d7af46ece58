/**
 * The JSON summary a pipeline role prints when it stops, built from named
 * parts: the pipeline's counters, the Worker's final report, the feed
 * thread's counters, the run record (anomalies, late ticks), the model
 * stage and, for processors, the cluster publisher.
 *
 * @example
 * ```ts ignore
 * const summary = buildSummary({ feed: "synth", stoppedBy: "eof", elapsedS: 1.2, ... });
 * console.log(JSON.stringify(summary));
 * ```
 * @module
 */
import type { CounterValues } from "../pipeline/counters.ts";
import type { WorkerDone } from "../pipeline/protocol.ts";
import type { ItchJson } from "../feeds/itch/stats.ts";
import type { FeedStats } from "../native/feed.ts";
import type { Percentiles } from "../pipeline/latency.ts";
import type { RunRecord } from "../sinks/record.ts";
import type { FileSink } from "../sinks/ndjson.ts";
import type { ScorerSummary } from "../anomaly/scorer.ts";
import type { PublisherStats } from "../cluster/publisher.ts";
import type { LateJson, NoticeJson, RejectedJson } from "../server/messages.ts";
import type { StopReason } from "./lifecycle.ts";
import { LABEL_NAMES } from "../wire/enums.ts";
import { REJECT_NAMES } from "../pipeline/guard.ts";

/** The model part of the summary. */
export type ModelSummary = ScorerSummary & {
  file: string;
  rows_written: number;
  rows_dropped: number;
};

/** The JSON summary printed at exit. */
export interface Summary {
  feed: string;
  /** what a full receive ring did: drop (counted in ring_drops) or block (the feed waited) */
  policy: "drop" | "block";
  stopped_by: StopReason;
  elapsed_s: number;
  /**
   * from the first record the pipeline Worker took to the last one it processed, or
   * the model's last score if later: the run without start-up and shut-down
   */
  processing_s: number;
  frames: number;
  ticks: number;
  trades: number;
  quotes: number;
  malformed: number;
  malformed_frames: number;
  malformed_packets: number;
  gaps: number;
  missing: number;
  duplicates: number;
  out_of_order: number;
  /** sessions forgotten to make room for new ones (least recently seen first) */
  session_evictions: number;
  /** sessions that started again (end of session, or back at sequence 1) */
  session_restarts: number;
  /** frames more than --max-seq-jump ahead in sequence, held back */
  sequence_jumps: number;
  /** every tick of every well-formed frame = ticks + duplicate_ticks + rejected + foreign + symbol_overflow */
  ticks_seen: number;
  duplicate_ticks: number;
  /** ticks refused by a rule (README "Bad input and faults"), and by reason */
  rejected: number;
  rejected_by_reason: Record<string, number>;
  /** the first rejected ticks and session notices (100 each) */
  rejected_events: RejectedJson[];
  notices: NoticeJson[];
  ring_drops: number;
  late: number;
  bars: number;
  symbols: number;
  symbol_overflow: number;
  /** trade/quote events for subscribers (only symbols someone subscribed to) */
  tick_events: number;
  /** trade/quote events for subscribers dropped because the main thread lagged */
  tick_event_drops: number;
  /** ticks of symbols another shard owns (--shard) */
  foreign: number;
  volume: number;
  checksum: number;
  heartbeats: number;
  unknown_kind: number;
  labelled: number;
  ticks_per_s: number;
  gap_events: { session: number; first: number; last: number }[];
  feed_stats: {
    packets: number;
    offered: number;
    pushed: number;
    non_udp: number;
    other_port: number;
    kernel_drops: number;
    naps: number;
  };
  port?: { ipackets: number; imissed: number; ierrors: number; rx_nombuf: number };
  consumer_naps: number;
  trades_by_symbol: Record<string, number>;
  late_by_symbol: Record<string, number>;
  late_events: LateJson[];
  bar_updates: number;
  event_waits: number;
  bars_out_lines: number;
  /** lines of --bars-out / --anomalies-out not written because a write failed */
  bars_out_lost: number;
  anomalies_out_lines: number;
  anomalies_out_lost: number;
  /** flat bars not made: one advance would have made more than MAX_FILL (--fill prev) */
  fill_skipped: number;
  bar_state_bytes: number;
  anomalies: number;
  anomalies_by_kind: Record<string, number>;
  model: ModelSummary | null;
  /** receive (C rx stamp) to bar update (TS), per tick */
  latency_ns: Percentiles;
  wire_latency_ns?: { to_bar: Percentiles; to_send: Percentiles };
  labels: Record<string, number>;
  /** --protocol itch: MoldUDP64 and ITCH counts, books, gaps, lines */
  itch?: ItchJson;
  /**
   * CPUs the threads were pinned to (--rx-cpu, --worker-cpu, --main-cpu; null: not pinned)
   * and the SCHED_FIFO priority of the receive thread and the Worker (--rt-priority; null: none)
   */
  threads?: {
    rx_cpu: number | null;
    worker_cpu: number | null;
    main_cpu: number | null;
    rt_priority: number | null;
  };
  /** processors: what went to NATS (durable = JetStream) */
  cluster?: PublisherStats & { shard: string | null; unacked: number };
  error?: string;
}

/** Everything a summary is made of. */
export interface SummaryParts {
  feed: string;
  policy: "drop" | "block";
  stoppedBy: StopReason;
  elapsedS: number;
  counters: CounterValues;
  worker: WorkerDone;
  feedStats: FeedStats;
  record: RunRecord;
  latency: Percentiles;
  /** --wire-latency: from the ticks' event time to the bar update and to the WebSocket send */
  wire?: { to_bar: Percentiles; to_send: Percentiles };
  files: FileSink[];
  model: ModelSummary | null;
  /** when the model scored its last row (CLOCK_MONOTONIC ns), with a model */
  lastScoredNs?: number;
  cpus: { rx?: number; worker?: number; main?: number };
  rtPriority?: number;
}

function feedSection(fs: FeedStats): Summary["feed_stats"] {
  return {
    packets: fs.packets,
    offered: fs.offered,
    pushed: fs.pushed,
    non_udp: fs.nonUdp,
    other_port: fs.otherPort,
    kernel_drops: fs.kernelDrops,
    naps: fs.naps,
  };
}

function perSymbol(w: WorkerDone) {
  return {
    trades_by_symbol: Object.fromEntries(w.symbols.map((s, i) => [s, w.tradesBySymbol[i]])),
    late_by_symbol: Object.fromEntries(
      w.symbols.map((s, i) => [s, w.lateBySymbol[i] ?? 0]).filter(([, n]) => n),
    ),
  };
}

function rejectedByReason(c: CounterValues): Record<string, number> {
  const by = [
    c.rejectedTime,
    c.rejectedPrice,
    c.rejectedExponent,
    c.rejectedSymbol,
    c.rejectedImplausible,
    c.rejectedJump,
  ];
  return Object.fromEntries(by.map((n, i) => [REJECT_NAMES[i + 1], n]).filter(([, n]) => n));
}

function fileCounts(files: FileSink[]) {
  const of = (flag: string) => files.find((f) => f.flag === flag)?.w;
  const bars = of("--bars-out"), anomalies = of("--anomalies-out");
  return {
    bars_out_lines: bars?.lines ?? 0,
    bars_out_lost: bars?.lost ?? 0,
    anomalies_out_lines: anomalies?.lines ?? 0,
    anomalies_out_lost: anomalies?.lost ?? 0,
  };
}

function labels(w: WorkerDone): Record<string, number> {
  return Object.fromEntries(
    LABEL_NAMES.map((l, i) => [l, w.labels[i]]).filter(([l, n]) => l !== "none" && n),
  );
}

function processingNs(w: WorkerDone, lastScoredNs = 0): number {
  return w.busyFromNs === 0 ? 0 : Math.max(w.busyToNs, lastScoredNs) - w.busyFromNs;
}

/** Assembles the summary. */
export function buildSummary(p: SummaryParts): Summary {
  const c = p.counters, fs = p.feedStats, w = p.worker;
  const s: Summary = {
    feed: p.feed,
    policy: p.policy,
    stopped_by: p.stoppedBy,
    elapsed_s: Number(p.elapsedS.toFixed(3)),
    processing_s: Number((processingNs(w, p.lastScoredNs) / 1e9).toFixed(3)),
    frames: c.frames,
    ticks: c.ticks,
    trades: c.trades,
    quotes: c.quotes,
    malformed: c.malformed + fs.malformed + c.rejected - c.rejectedImplausible - c.rejectedJump,
    malformed_frames: c.malformed,
    malformed_packets: fs.malformed,
    gaps: c.gaps,
    missing: c.missing,
    duplicates: c.duplicates,
    out_of_order: c.outOfOrder,
    session_evictions: c.sessionEvictions,
    session_restarts: c.sessionRestarts,
    sequence_jumps: c.seqJumps,
    ticks_seen: c.ticksSeen,
    duplicate_ticks: c.duplicateTicks,
    rejected: c.rejected,
    rejected_by_reason: rejectedByReason(c),
    rejected_events: p.record.rejectedEvents,
    notices: p.record.notices,
    ring_drops: fs.ringDrops,
    late: c.late,
    bars: c.bars,
    symbols: c.symbols,
    symbol_overflow: c.symbolOverflow,
    tick_events: c.tickEvents,
    tick_event_drops: c.tickEventDrops,
    foreign: c.foreign,
    volume: c.volume,
    checksum: c.checksum,
    heartbeats: c.heartbeats,
    unknown_kind: c.unknownKind,
    labelled: c.labelled,
    ticks_per_s: Math.round(c.ticks / Math.max(p.elapsedS, 1e-9)),
    gap_events: w.gapEvents,
    feed_stats: feedSection(fs),
    consumer_naps: c.naps,
    ...perSymbol(w),
    late_events: p.record.lateEvents,
    bar_updates: w.barUpdates,
    event_waits: w.eventWaits,
    ...fileCounts(p.files),
    fill_skipped: w.fillSkipped,
    bar_state_bytes: w.barStateBytes,
    anomalies: p.record.anomalies,
    anomalies_by_kind: p.record.anomaliesByKind,
    model: p.model,
    latency_ns: p.latency,
    ...(p.wire ? { wire_latency_ns: p.wire } : {}),
    labels: labels(w),
    ...(w.itch ? { itch: w.itch } : {}),
    threads: {
      rx_cpu: p.cpus.rx ?? null,
      worker_cpu: p.cpus.worker ?? null,
      main_cpu: p.cpus.main ?? null,
      rt_priority: p.rtPriority ?? null,
    },
  };
  if (p.feed === "dpdk") {
    s.port = {
      ipackets: fs.portIpackets,
      imissed: fs.portImissed,
      ierrors: fs.portIerrors,
      rx_nombuf: fs.portNombuf,
    };
  }
  return s;
}
