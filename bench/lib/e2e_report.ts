/**
 * The rows of `deno task bench:e2e` and their Markdown report: latency
 * table, per-hop breakdown, fan-out, idle CPU, capacity, and the issue's
 * targets checked against the same run.
 *
 * @example
 * ```ts ignore
 * Deno.writeTextFileSync("e2e.md", markdown(report));
 * ```
 * @module
 */
import type { Percentiles } from "../../src/pipeline/latency.ts";

/** One latency run: a pipeline at a rate with one measured subscriber. */
export interface Row {
  pipeline: "tickwire-udp" | "tickwire-dpdk" | "baseline";
  pinned: boolean;
  /** tickwire's receive thread and Worker ran in SCHED_FIFO at this priority (--rt-priority) */
  rt_priority?: number;
  /** the measured subscriber wants one symbol's trades or all of them */
  scope: "one" | "all";
  /** extra fan-out clients, one symbol each */
  load_clients: number;
  load_open: number;
  requested_rate: number;
  offered_rate: number;
  sent: number;
  received: number;
  drops: number;
  ring_drops: number;
  wire_to_bar_ns: Percentiles;
  /** tickwire: when the main thread handed the trade to the WebSocket */
  wire_to_send_ns?: Percentiles;
  /** from the moment the program got the datagram (C rx stamp, or JS receive) */
  rx_to_bar_ns: Percentiles;
  wire_to_subscriber_ns: Percentiles;
  /** how late the publisher sent frames against their stamps (`send_lag_ns`; paced rows) */
  publisher_late_ns?: Percentiles;
  subscriber_trades: number;
  subscriber_expected: number;
  cpu_s_per_m_ticks: number;
  rss_peak_bytes: number;
  gc_count: number;
  gc_bytes_per_tick: number;
  /**
   * Cores each process used while the feed ran (CPU seconds over the feed's
   * wall time): the processor, the publisher, the measured subscriber and
   * the fan-out clients' process (0 without). The machine has `machine.cpus`.
   */
  cores?: { processor: number; publisher: number; subscriber: number; load: number };
}

/** CPU of a receiver with the server on, a subscriber connected and no traffic. */
export interface IdleRow {
  pipeline: Row["pipeline"];
  seconds: number;
  /** CPU seconds per second: 1 = one whole core */
  core_share: number;
}

/** Rows the model scored and dropped (the scorer behind) in a capacity row; NaN without a model. */
function modelRows(c: CapacityRow): { scored: number; dropped: number } {
  const m = c.model as { rows_scored?: number; rows_dropped?: number } | null;
  return { scored: m?.rows_scored ?? NaN, dropped: m?.rows_dropped ?? NaN };
}

/** Flat-out replay of a large capture through decode and bars. */
export interface CapacityRow {
  stage: "bars" | "bars+anomaly";
  ticks: number;
  drops: number;
  /** the summary's processing_s: first tick taken to last processed (or scored) */
  seconds: number;
  ticks_per_s: number;
  /** from "feed running" to the process's exit (start-up of the port, shut-down, summary) */
  wall_seconds?: number;
  wall_ticks_per_s?: number;
  cpu_s_per_m_ticks: number;
  /** the busiest threads while the replay ran: name and share of one core */
  threads?: { name: string; core_share: number }[];
  model: unknown;
}

/** What bench/e2e.ts writes to e2e.json. */
export interface Report {
  machine: { cpus: number; cpu_model: string; memory_gib: number; os: string; deno: string };
  settings: { rates: number[]; seconds: number; subscriber_symbol: string };
  dpdk: string;
  rows: Row[];
  idle: IdleRow[];
  capacity: CapacityRow[];
}

const us = (ns: number | undefined) => ns === undefined ? "–" : (ns / 1e3).toFixed(0);
const rateName = (r: number) =>
  r === 0 ? "flat out" : r >= 1e6 ? `${r / 1e6}M` : r >= 1e3 ? `${r / 1e3}k` : `${r}`;
const label = (r: Row) =>
  `${r.pipeline}${r.pinned ? " (pinned)" : ""}${r.rt_priority ? " (rt)" : ""}${
    r.load_clients ? ` +${r.load_clients} clients` : ""
  }`;

function latencyTable(rows: Row[]): string[] {
  const p = (x: Percentiles) =>
    `${us(x.p50)} | ${us(x.p90)} | ${us(x.p99)} | ${us(x.p999)} | ${us(x.max)}`;
  return [
    "| pipeline | rate | subscriber | ticks got/sent | ring drops | wire→bar p50 / p99 µs | wire→subscriber p50 | p90 | p99 | p99.9 | max µs | trades got/expected | CPU s/M ticks | peak RSS MB |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) =>
      `| ${label(r)} | ${
        rateName(r.requested_rate)
      } (${r.offered_rate}/s) | ${r.scope} | ${r.received}/${r.sent} | ${r.ring_drops} | ${
        us(r.wire_to_bar_ns.p50)
      } / ${us(r.wire_to_bar_ns.p99)} | ${
        p(r.wire_to_subscriber_ns)
      } | ${r.subscriber_trades}/${r.subscriber_expected} | ${r.cpu_s_per_m_ticks} | ${
        (r.rss_peak_bytes / 2 ** 20).toFixed(0)
      } |`
    ),
  ];
}

/** A p50 hop as the difference of two p50s; under load they need not add up: "–" then. */
const hop = (a: number, b: number) => a - b >= 0 ? us(a - b) : "–";

function hops(rows: Row[]): string[] {
  const out = [
    "| pipeline | rate | publisher late | kernel → rx | rx → bar (ring + Worker) | bar → WebSocket send (event ring, main thread) | send → subscriber (socket, client) | wire → subscriber |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows.filter((x) => x.scope === "one" && !x.load_clients)) {
    const bar = r.wire_to_bar_ns.p50, send = r.wire_to_send_ns?.p50;
    const sub = r.wire_to_subscriber_ns.p50, late = r.publisher_late_ns?.p50;
    const rx = bar - r.rx_to_bar_ns.p50;
    out.push(
      `| ${label(r)} | ${rateName(r.requested_rate)} | ${us(late)} | ${
        late === undefined ? us(rx) : hop(rx, late)
      } | ${us(r.rx_to_bar_ns.p50)} | ${
        send === undefined ? "(in the line before)" : hop(send, bar)
      } | ${hop(sub, send ?? bar)} | ${us(sub)} |`,
    );
  }
  return out;
}

/** The tails: p99 of each measured span (not differences), one-symbol rows. */
function tails(rows: Row[]): string[] {
  const out = [
    "| pipeline | rate | publisher late | rx → bar | wire → bar | wire → WebSocket send | wire → subscriber |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows.filter((x) => x.scope === "one" && !x.load_clients)) {
    out.push(
      `| ${label(r)} | ${rateName(r.requested_rate)} | ${us(r.publisher_late_ns?.p99)} | ${
        us(r.rx_to_bar_ns.p99)
      } | ${us(r.wire_to_bar_ns.p99)} | ${us(r.wire_to_send_ns?.p99)} | ${
        us(r.wire_to_subscriber_ns.p99)
      } |`,
    );
  }
  return out;
}

/** How busy the machine was in each row: a saturated one queues every thread. */
function cores(rows: Row[], cpus: number): string[] {
  const out = [
    `| pipeline | rate | subscriber | processor | publisher | measured subscriber | fan-out clients | total (of ${cpus}) |`,
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows.filter((x) => x.cores !== undefined)) {
    const c = r.cores!, total = c.processor + c.publisher + c.subscriber + c.load;
    const f = (x: number) => x.toFixed(2);
    out.push(
      `| ${label(r)} | ${rateName(r.requested_rate)} | ${r.scope} | ${f(c.processor)} | ${
        f(c.publisher)
      } | ${f(c.subscriber)} | ${r.load_clients ? f(c.load) : "–"} | ${f(total)} |`,
    );
  }
  return out;
}

function find(rows: Row[], p: Row["pipeline"], rate: number, scope = "one", load = 0) {
  return rows.find((r) =>
    r.pipeline === p && r.requested_rate === rate && r.scope === scope && !r.pinned &&
    !r.rt_priority &&
    r.load_clients === load
  );
}

/** The issue's targets, each with this run's figures. */
function targets(rep: Report): string[] {
  const out = ["| target | measured | met |", "| --- | --- | :---: |"];
  const add = (t: string, m: string, ok: boolean | undefined) =>
    out.push(`| ${t} | ${m} | ${ok === undefined ? "n/a" : ok ? "yes" : "no"} |`);
  for (const rate of [10_000, 100_000]) {
    const tw = find(rep.rows, "tickwire-udp", rate), b = find(rep.rows, "baseline", rate);
    if (!tw || !b) continue;
    const t = tw.wire_to_subscriber_ns, bl = b.wire_to_subscriber_ns;
    add(
      `wire→subscriber at ${rateName(rate)}/s no worse than the baseline (p50, p99)`,
      `${us(t.p50)} / ${us(t.p99)} µs vs ${us(bl.p50)} / ${us(bl.p99)} µs`,
      t.p50 <= bl.p50 && t.p99 <= bl.p99,
    );
    add(
      `wire→subscriber p50 ≤ 200 µs, p99 ≤ 2 ms at ${rateName(rate)}/s`,
      `${us(t.p50)} / ${us(t.p99)} µs`,
      t.p50 <= 200_000 && t.p99 <= 2_000_000,
    );
    add(
      `every subscribed trade delivered at ${rateName(rate)}/s`,
      `${tw.subscriber_trades}/${tw.subscriber_expected}`,
      tw.subscriber_trades === tw.subscriber_expected,
    );
  }
  const r100 = find(rep.rows, "tickwire-udp", 100_000);
  if (r100) {
    add(
      "wire→bar p50 ≤ 30 µs at 100k/s",
      `${us(r100.wire_to_bar_ns.p50)} µs`,
      r100.wire_to_bar_ns.p50 <= 30_000,
    );
  }
  const m = find(rep.rows, "tickwire-udp", 1_000_000);
  if (m) {
    add(
      "1M/s: zero drops, wire→bar p99 ≤ 2 ms",
      `${m.drops} drops, p99 ${us(m.wire_to_bar_ns.p99)} µs`,
      m.drops === 0 && m.wire_to_bar_ns.p99 <= 2_000_000,
    );
  }
  const fan = find(rep.rows, "tickwire-udp", 100_000, "one", 300);
  if (fan && r100) {
    add(
      "300 subscribers at 100k/s: zero ring drops, unrelated p99 ≤ 2× alone",
      `${fan.ring_drops} ring drops, p99 ${us(fan.wire_to_subscriber_ns.p99)} vs ${
        us(r100.wire_to_subscriber_ns.p99)
      } µs alone`,
      fan.ring_drops === 0 && fan.wire_to_subscriber_ns.p99 <= 2 * r100.wire_to_subscriber_ns.p99,
    );
  }
  const idle = rep.idle.find((i) => i.pipeline === "tickwire-udp");
  if (idle) {
    add(
      "quiet feed, server on: ≤ 5 % of one core",
      `${(idle.core_share * 100).toFixed(1)} %`,
      idle.core_share <= 0.05,
    );
  }
  for (const c of rep.capacity) {
    const goal = c.stage === "bars" ? 10e6 : 5e6, unscored = modelRows(c).dropped;
    add(
      `capacity (${c.stage}) ≥ ${goal / 1e6} M ticks/s, no drops`,
      `${(c.ticks_per_s / 1e6).toFixed(2)} M ticks/s, ${c.drops} drops` +
        (c.stage === "bars" ? "" : `, ${unscored} rows the model did not score`),
      c.ticks_per_s >= goal && c.drops === 0 && !(unscored > 0),
    );
  }
  return out;
}

/** The whole report as Markdown. */
export function markdown(rep: Report): string {
  const m = rep.machine;
  return [
    "# tickwire end-to-end benchmark",
    "",
    `Machine: ${m.cpus} CPUs (${m.cpu_model}), ${m.memory_gib} GiB, ${m.os}, Deno ${m.deno}. ` +
    `Publisher, receiver and subscriber share it. Each row: ${rep.settings.seconds} s of ` +
    `synthetic ticks (64 symbols, 16 per datagram, 32 from 1M/s and flat out; 30 % trades) from \`deno task feed --stamp-send\`; ` +
    `latency from each tick's intended send time. Subscriber \`one\`: trades of ` +
    `${rep.settings.subscriber_symbol} only; \`all\`: every symbol's trades. DPDK: ${rep.dpdk}.`,
    "",
    "## Latency",
    "",
    ...latencyTable(rep.rows),
    "",
    "## Where the time goes (p50 per hop, one-symbol rows)",
    "",
    ...hops(rep.rows),
    "",
    "## Tails (p99 per measured span, one-symbol rows)",
    "",
    ...tails(rep.rows),
    "",
    "## CPU of the machine (cores used while the feed ran)",
    "",
    ...cores(rep.rows, m.cpus),
    "",
    "## Idle (server on, one subscriber, no traffic)",
    "",
    "| pipeline | CPU (share of one core) |",
    "| --- | ---: |",
    ...rep.idle.map((i) => `| ${i.pipeline} | ${(i.core_share * 100).toFixed(1)} % |`),
    "",
    "## Capacity (flat-out DPDK net_pcap replay, 32 ticks per frame, --policy block)",
    "",
    "Seconds: from the first tick the pipeline took to the last one processed (or scored, with",
    "the model), the summary's `processing_s`; wall: from `feed running` to the process's exit.",
    "",
    "| stage | ticks | drops | model rows scored / dropped | seconds | ticks/s | wall s (ticks/s) | CPU s/M ticks | busiest threads (share of a core) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rep.capacity.map((c) =>
      `| ${c.stage} | ${c.ticks} | ${c.drops} | ${
        c.stage === "bars" ? "–" : `${modelRows(c).scored} / ${modelRows(c).dropped}`
      } | ${c.seconds} | ${c.ticks_per_s} | ${c.wall_seconds ?? "–"} (${
        c.wall_ticks_per_s ?? "–"
      }) | ${c.cpu_s_per_m_ticks} | ${
        (c.threads ?? []).map((t) => `${t.name} ${(t.core_share * 100).toFixed(0)} %`).join(", ")
      } |`
    ),
    "",
    "## Targets (issue 13), this run",
    "",
    ...targets(rep),
    "",
  ].join("\n");
}
