/**
 * Prometheus text exposition (`GET /metrics`) of the stats object, following
 * Prometheus' conventions so `promtool check metrics` has nothing to say:
 * HELP and TYPE on every series, `_total` only on counters, base units
 * (`_seconds`, `_bytes`), the receive-to-bar latency as a histogram with
 * `_bucket`/`_sum`/`_count`, and labels where one series has variants
 * (`reason` of a rejected tick, `channel` of a subscription, `role` and
 * `feed` on `tickwire_info`).
 *
 * @example
 * ```ts
 * import { prometheus } from "./metrics.ts";
 * const text = prometheus({ feed: "synth", pipeline: { ticks: 3 } });
 * console.log(text.includes("tickwire_ticks_total 3")); // true
 * ```
 * @module
 */
import type { Histogram } from "../pipeline/latency.ts";

/** What /metrics shows besides the stats object. */
export interface MetricsExtra {
  /** receive-to-bar latency (the pipeline's shared histogram) */
  latency?: Histogram;
  /** clients per subscribed channel */
  subscribers?: Record<string, number>;
}

type Kind = "counter" | "gauge";
/** A series: its name (without `tickwire_`), type and help. */
type Def = [name: string, kind: Kind, help: string];

/** Pipeline counters (stats.pipeline, snake_case keys) with a meaning worth a line. */
const PIPELINE: Record<string, Def | null> = {
  records: ["records_total", "counter", "Ring records read by the pipeline"],
  frames: ["frames_total", "counter", "Well-formed frames"],
  ticks: ["ticks_total", "counter", "Ticks taken (into bars and the market state)"],
  ticks_seen: ["ticks_seen_total", "counter", "Ticks in well-formed frames, before any check"],
  trades: ["trades_total", "counter", "Trades taken"],
  quotes: ["quotes_total", "counter", "Quotes taken"],
  malformed: ["malformed_frames_total", "counter", "Frames that failed validation"],
  unknown_kind: ["unknown_kind_ticks_total", "counter", "Ticks of an unknown kind"],
  gaps: ["sequence_gaps_total", "counter", "Sequence gaps detected"],
  missing: ["missing_ticks_total", "counter", "Sequence numbers missing in gaps"],
  duplicates: ["duplicate_frames_total", "counter", "Frames seen before"],
  duplicate_ticks: ["duplicate_ticks_total", "counter", "Ticks of duplicate or overlapping frames"],
  out_of_order: ["overlapping_frames_total", "counter", "Frames partly seen before"],
  late: ["late_ticks_total", "counter", "Ticks after their bar was final"],
  bars: ["final_bars_total", "counter", "Final bars emitted"],
  symbols: ["symbols", "gauge", "Symbols known"],
  symbol_overflow: [
    "symbol_overflow_ticks_total",
    "counter",
    "Ticks of symbols past --max-symbols",
  ],
  naps: ["consumer_naps_total", "counter", "Times the pipeline Worker parked"],
  checksum: null,
  volume: ["traded_shares_total", "counter", "Shares traded"],
  labelled: ["labelled_ticks_total", "counter", "Ticks carrying a ground-truth label"],
  heartbeats: ["heartbeats_total", "counter", "Frames without ticks"],
  session_evictions: ["session_evictions_total", "counter", "Sessions forgotten to make room"],
  tick_event_drops: ["tick_event_drops_total", "counter", "Tick events for subscribers dropped"],
  anomalies: ["anomalies_total", "counter", "Anomaly flags raised by the rules"],
  foreign: ["foreign_ticks_total", "counter", "Ticks owned by another shard"],
  rejected: null, // as tickwire_rejected_ticks_total{reason}
  seq_jumps: ["sequence_jumps_total", "counter", "Frames held back past --max-seq-jump"],
  session_restarts: ["session_restarts_total", "counter", "Sessions that started again"],
};

/** Feed thread statistics (stats.feed_stats) with their own series (null: not exposed); the rest are counters. */
const FEED_NAMED: Record<string, Def | null> = {
  state: ["feed_state", "gauge", "Feed thread state (1 running, 2 ended, 3 failed)"],
  last_rx_ns: null,
  bytes: ["feed_received_bytes_total", "counter", "Bytes pushed into the receive ring"],
};

/** Server statistics with their own series; the rest are counters. */
const SERVER_NAMED: Record<string, Def> = {
  clients: ["server_clients", "gauge", "WebSocket clients connected"],
  buffered_bytes: ["server_buffered_bytes", "gauge", "Bytes all sockets buffer"],
};

const RING: Record<string, Def> = {
  used: ["ring_used_bytes", "gauge", "Bytes waiting in the receive ring"],
  capacity: ["ring_capacity_bytes", "gauge", "Receive ring size"],
  fill: ["ring_fill_ratio", "gauge", "Receive ring fill, 0..1"],
  drops: ["ring_dropped_records_total", "counter", "Records the feed dropped on a full ring"],
  published: ["ring_published_records_total", "counter", "Records the feed published"],
};

const GATEWAY_GAUGES = new Set(["replays_active", "last_stream_seq"]);

/** Seconds bounds of the latency histogram's buckets. */
const LE = [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 0.1, 1];

class Exposition {
  private readonly lines: string[] = [];
  private readonly seen = new Set<string>();

  series(def: Def, value: number, labels = ""): void {
    const [name, kind, help] = def, full = `tickwire_${name}`;
    if (!this.seen.has(full)) {
      this.seen.add(full);
      this.lines.push(`# HELP ${full} ${help}`, `# TYPE ${full} ${kind}`);
    }
    this.lines.push(`${full}${labels} ${value}`);
  }

  raw(...l: string[]): void {
    this.lines.push(...l);
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

const label = (v: unknown) => String(v).replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
const numbers = (o: unknown) =>
  Object.entries((o ?? {}) as Record<string, unknown>).filter(([, v]) =>
    typeof v === "number" && Number.isFinite(v)
  ) as [string, number][];

function counterSection(
  x: Exposition,
  o: unknown,
  prefix: string,
  known: Record<string, Def | null>,
  what: string,
) {
  for (const [k, v] of numbers(o)) {
    if (k in known) {
      const d = known[k];
      if (d) x.series(d, v);
    } else x.series([`${prefix}${k}_total`, "counter", `${what}: ${k.replace(/_/g, " ")}`], v);
  }
}

function pipeline(x: Exposition, p: unknown): void {
  for (const [k, v] of numbers(p)) {
    if (k.startsWith("rejected_")) {
      x.series(
        ["rejected_ticks_total", "counter", "Ticks refused by the value and time rules"],
        v,
        `{reason="${label(k.slice(9))}"}`,
      );
    } else if (k in PIPELINE) {
      const d = PIPELINE[k];
      if (d) x.series(d, v);
    } else x.series([`pipeline_${k}_total`, "counter", `Pipeline counter ${k}`], v);
  }
}

function latency(x: Exposition, h: Histogram): void {
  const n = "tickwire_receive_to_bar_seconds";
  x.raw(
    `# HELP ${n} Latency from receive (rx stamp) to the bar update, per tick`,
    `# TYPE ${n} histogram`,
  );
  for (const le of LE) x.raw(`${n}_bucket{le="${le}"} ${h.atOrBelow(le * 1e9)}`);
  x.raw(`${n}_bucket{le="+Inf"} ${h.count}`, `${n}_sum ${h.sum / 1e9}`, `${n}_count ${h.count}`);
}

function server(x: Exposition, s: unknown, subs?: Record<string, number>): void {
  counterSection(x, s, "server_", SERVER_NAMED, "WebSocket server");
  for (const [ch, n] of Object.entries(subs ?? {})) {
    x.series(
      ["server_subscribers", "gauge", "Clients subscribed, by channel"],
      n,
      `{channel="${label(ch)}"}`,
    );
  }
}

/** Renders the stats object (processor or gateway) and the extras. */
export function prometheus(stats: Record<string, unknown>, extra: MetricsExtra = {}): string {
  const x = new Exposition();
  const role = typeof stats.role === "string" ? stats.role : "processor";
  const feed = typeof stats.feed === "string" ? `,feed="${label(stats.feed)}"` : "";
  x.series(
    ["info", "gauge", "Constant 1, labelled with the role and feed"],
    1,
    `{role="${label(role)}"${feed}}`,
  );
  if (typeof stats.uptime_s === "number") {
    x.series(["uptime_seconds", "gauge", "Seconds since start"], stats.uptime_s);
  }
  if (typeof stats.ticks_per_s === "number") {
    x.series(["ticks_per_second", "gauge", "Ticks taken per second, recent"], stats.ticks_per_s);
  }
  pipeline(x, stats.pipeline);
  for (const [k, v] of numbers(stats.ring)) if (RING[k]) x.series(RING[k], v);
  counterSection(x, stats.feed_stats, "feed_", FEED_NAMED, "Feed thread");
  for (const [k, v] of numbers(stats.gateway)) {
    const gauge = GATEWAY_GAUGES.has(k);
    x.series([
      `gateway_${k}${gauge ? "" : "_total"}`,
      gauge ? "gauge" : "counter",
      `Gateway: ${k.replace(/_/g, " ")}`,
    ], v);
  }
  if (stats.server !== undefined) server(x, stats.server, extra.subscribers);
  if (extra.latency) latency(x, extra.latency);
  return x.text();
}
