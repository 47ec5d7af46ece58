/**
 * `deno task bench:e2e`: wire-to-bar and wire-to-subscriber latency of the
 * real pipeline against the program a Deno user would write for the same
 * job, measured the same way in the same run.
 *
 * Honest clock: the publisher (`deno task feed --stamp-send`) stamps every
 * tick with its intended send time (CLOCK_REALTIME, from its schedule), so
 * a publisher that falls behind cannot hide queueing (coordinated omission
 * counted). Wire-to-bar is measured inside each program (`--wire-latency`:
 * when the tick's bar was updated); wire-to-subscriber by a WebSocket client
 * in its own process (bench/fixtures/ws_subscriber.ts), subscribed to one
 * symbol's trades (`one`) or to all symbols' trades (`all`), per trade.
 *
 * Pipelines: tickwire-udp (recvmmsg in C, loopback), tickwire-dpdk (DPDK
 * net_af_packet on a veth pair, sender in a network namespace; root),
 * baseline (bench/fixtures/baseline_udp_json.ts: Deno.listenDatagram +
 * JSON.parse + the same bars + a Deno.upgradeWebSocket broadcast of trades
 * and bars). Both do bars only (tickwire with --no-anomaly); the anomaly
 * stage is in the capacity rows.
 *
 * Rows: each rate (default 10k, 100k, 1M ticks/s and flat out) × pipeline ×
 * subscriber scope; pinned rows; real-time rows (--rt-priority, root);
 * fan-out rows (300 and 2,000 extra clients,
 * one symbol each); idle CPU with the server on and a subscriber connected;
 * capacity (flat-out DPDK net_pcap replay of 20 M ticks, 32 per frame,
 * `--policy block`, with and without the anomaly stage).
 *
 * Output: --json FILE (default bench/results/e2e.json, with e2e.md beside
 * it). `--quick` (about 2 minutes) writes to a temporary directory unless
 * --json is given, never over the committed results.
 *
 * Usage: deno task bench:e2e [--quick] [--json FILE] [--rates 10000,100000,1000000,0]
 *        [--seconds S] [--capacity-ticks N] [--fanout 300,2000] [--idle-seconds S]
 * @module
 */
import type { OptionTable } from "../src/cli/table.ts";
import { benchArgs, numList } from "./lib/cli.ts";
import { hasDpdk } from "../src/native/lib.ts";
import type { Percentiles } from "../src/pipeline/latency.ts";
import {
  childCpuSeconds,
  cpuSeconds,
  gcStats,
  lastJson,
  memory,
  type Proc,
  run,
  sleep,
  spawn,
  threadSeconds,
  withVeth,
} from "./lib/procs.ts";
import { type CapacityRow, type IdleRow, markdown, type Row } from "./lib/e2e_report.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const OPTIONS: OptionTable = {
  quick: { section: "Options", help: "about 2 minutes: 10k and 100k, 2 s rows, 300 clients" },
  json: {
    arg: "FILE",
    section: "Options",
    help:
      "results file, e2e.md beside it (bench/results/e2e.json;\n--quick: a temporary directory)",
  },
  rates: {
    arg: "N,N",
    section: "Options",
    help: "ticks/s per row, 0 = flat out (10000,100000,1000000,0)",
  },
  seconds: { arg: "S", section: "Options", help: "seconds of feed per row (5; --quick 2)" },
  "capacity-ticks": {
    arg: "N",
    section: "Options",
    help: "ticks in the capacity replay, 0 = no capacity rows (20000000)",
  },
  fanout: { arg: "N,N", section: "Options", help: "extra clients per fan-out row (300,2000)" },
  "idle-seconds": { arg: "S", section: "Options", help: "seconds of the idle row (10; --quick 3)" },
};
const opts = benchArgs(
  "bench:e2e",
  "Usage: deno task bench:e2e [options]\n\nWire-to-bar and wire-to-subscriber latency of tickwire and the baseline.",
  OPTIONS,
  (v, num) => {
    const quick = v.quick === true, s = (k: string) => v[k] as string | undefined;
    const dir = () => Deno.makeTempDirSync({ prefix: "tw-e2e-" });
    return {
      quick,
      rates: numList(
        "rates",
        s("rates"),
        quick ? "10000,100000" : "10000,100000,1000000,0",
        0,
        1e9,
      ),
      seconds: num("seconds", s("seconds"), quick ? 2 : 5, 0.1, 3600, false),
      capacityTicks: num("capacity-ticks", s("capacity-ticks"), quick ? 2e6 : 2e7, 0, 1e10),
      fanout: numList("fanout", s("fanout"), quick ? "300" : "300,2000", 0, 100_000),
      idleSeconds: num("idle-seconds", s("idle-seconds"), quick ? 3 : 10, 0.1, 3600, false),
      outJson: s("json") ?? (quick ? `${dir()}/e2e.json` : `${ROOT}bench/results/e2e.json`),
    };
  },
);
const { quick, rates, seconds, capacityTicks, fanout, idleSeconds, outJson } = opts;
const outDir = outJson.replace(/[^/]*$/, "") || "./";
const log = (s: string) => console.error(`bench:e2e: ${s}`);
const deno = Deno.execPath();
const SYMBOLS = 64, ONE = "AAPL";
let port = 41000 + (Deno.pid % 500) * 8;

// ---------------------------------------------------------------- set-ups

type Pipeline = Row["pipeline"];
interface Setup {
  pipeline: Pipeline;
  /** receiver command line for a UDP port and an HTTP port */
  argv(udp: number, http: number): string[];
  /** where the publisher sends, for a UDP port */
  to(udp: number): string;
  /** prefix of the publisher's command (ip netns exec ...) */
  wrap: string[];
  json: boolean;
  url(http: number): string;
  pinned?: boolean;
  /** --rt-priority given to tickwire's receive thread and Worker */
  rt?: number;
}

function tickwire(feedArgs: (udp: number) => string[], pins: string[] = []) {
  return (udp: number, http: number) => [
    deno,
    "run",
    "-A",
    "--v8-flags=--trace-gc",
    `${ROOT}src/main.ts`,
    ...["--windows", "1s,1m", "--status-interval", "0", "--no-anomaly", "--wire-latency"],
    ...["--http", `127.0.0.1:${http}`],
    ...feedArgs(udp),
    ...pins,
  ];
}

/** Real-time priority of the rt rows (SCHED_FIFO; any value 1-99 ranks above ordinary threads). */
const RT_PRIORITY = 10;

const udpSetup = (pinned: boolean, rt = false): Setup => ({
  pipeline: "tickwire-udp",
  argv: tickwire(
    (udp) => ["--feed", "udp", "--listen", `127.0.0.1:${udp}`],
    [
      ...(pinned ? ["--rx-cpu", "0", "--worker-cpu", "1", "--main-cpu", "0"] : []),
      ...(rt ? ["--rt-priority", String(RT_PRIORITY)] : []),
    ],
  ),
  to: (udp) => `127.0.0.1:${udp}`,
  wrap: [],
  json: false,
  url: (http) => `ws://127.0.0.1:${http}/v1/stream`,
  pinned,
  ...(rt ? { rt: RT_PRIORITY } : {}),
});

const baselineSetup: Setup = {
  pipeline: "baseline",
  argv: (udp, http) => [
    deno,
    "run",
    "-A",
    "--v8-flags=--trace-gc",
    `${ROOT}bench/fixtures/baseline_udp_json.ts`,
    `127.0.0.1:${udp}`,
    String(http),
  ],
  to: (udp) => `127.0.0.1:${udp}`,
  wrap: [],
  json: true,
  url: (http) => `ws://127.0.0.1:${http}/`,
};

function dpdkSetup(ns: string, iface: string, own: string): Setup {
  const eal =
    `--no-huge --no-pci --no-shconf -m 512 --vdev=net_af_packet0,iface=${iface},framecnt=8192`;
  return {
    pipeline: "tickwire-dpdk",
    argv: tickwire(() => ["--feed", "dpdk", "--eal", eal, "--udp-port", "5555"]),
    to: () => `${own}:5555`,
    wrap: ["ip", "netns", "exec", ns],
    json: false,
    url: (http) => `ws://127.0.0.1:${http}/v1/stream`,
  };
}

// ---------------------------------------------------------------- one row

interface Summary {
  ticks: number;
  trades: number;
  latency_ns: Percentiles;
  wire_latency_ns: { to_bar: Percentiles; to_send?: Percentiles };
  trades_by_symbol: Record<string, number>;
  ring_drops?: number;
}

/** The measured subscriber (`one` symbol or `all`), or with `load` a load-only process. */
function subscriber(url: string, scope: "one" | "all", load = 0): Proc {
  return spawn([
    deno,
    "run",
    "-A",
    `${ROOT}bench/fixtures/ws_subscriber.ts`,
    url,
    load > 0 ? "-" : scope === "one" ? ONE : "*",
    ...(load > 0 ? ["--load", String(load), "--load-symbols", LOAD_SYMBOLS.join(",")] : []),
  ], /ready:/);
}

/** Symbols of the fan-out clients: every synthetic symbol but the measured one. */
const LOAD_SYMBOLS = [
  "MSFT",
  "AMZN",
  "GOOG",
  "NVDA",
  "META",
  "TSLA",
  "JPM",
  "V",
  "XOM",
  "UNH",
  "JNJ",
  "WMT",
  "PG",
  "MA",
  "HD",
  "CVX",
  "KO",
  "PEP",
  "ABBV",
  "COST",
  "MRK",
  "AVGO",
  "ORCL",
];

/**
 * Ticks per datagram: 16, and 32 from 1M ticks/s (one Deno publisher sends
 * about 1.3M ticks/s at 16 per datagram on this machine with nothing else
 * running: it would be the bottleneck).
 */
const batch = (rate: number) => rate === 0 || rate >= 1_000_000 ? 32 : 16;

async function publish(
  s: Setup,
  udp: number,
  rate: number,
): Promise<{ ticks: number; send_lag_ns?: Percentiles }> {
  const count = rate > 0 ? Math.round(rate * seconds) : (quick ? 1_500_000 : 4_000_000);
  return JSON.parse(
    await run([
      ...s.wrap,
      deno,
      "run",
      "-A",
      `${ROOT}src/tools/feed.ts`,
      ...["--to", s.to(udp), "--rate", String(rate), "--count", String(count)],
      ...["--symbols", String(SYMBOLS), "--stamp-send", "--quiet", "--batch", String(batch(rate))],
      ...(s.json ? ["--format", "json"] : []),
    ]),
  );
}

async function measure(s: Setup, rate: number, scope: "one" | "all", load = 0): Promise<Row> {
  const udp = port++, http = port++;
  const extra = load > 0 && s.pipeline !== "baseline" ? ["--max-clients", String(load + 10)] : [];
  const rx = spawn([...s.argv(udp, http), ...extra], /feed running/);
  await rx.ready;
  const sub = subscriber(s.url(http), scope); // first: the load never takes its place
  await sub.ready;
  const loadProc = load > 0 ? subscriber(s.url(http), scope, load) : undefined;
  await loadProc?.ready;
  const procs = [rx.pid, sub.pid, loadProc?.pid ?? 0];
  const cpu0 = procs.map(cpuSeconds), pub0 = childCpuSeconds(), t0 = performance.now();
  const sent = await publish(s, udp, rate);
  const wall = (performance.now() - t0) / 1000;
  const [rxCores, subCores, loadCores] = procs.map((p, i) => (cpuSeconds(p) - cpu0[i]) / wall);
  const cores = { processor: rxCores, publisher: (childCpuSeconds() - pub0) / wall };
  await sleep(500);
  const cpu = cpuSeconds(rx.pid) - cpu0[0], mem = memory(rx.pid);
  const got = lastJson((await sub.stop("SIGTERM")).stdout) as {
    trades: number;
    latency_ns: Percentiles;
  };
  const loaded = loadProc
    ? lastJson((await loadProc.stop("SIGTERM")).stdout) as { load_open: number }
    : { load_open: 0 };
  const out = await rx.stop(s.json ? "SIGTERM" : "SIGINT");
  const sum = lastJson(out.stdout) as unknown as Summary;
  const ringDrops = sum.ring_drops ?? 0;
  const row: Row = {
    pipeline: s.pipeline,
    pinned: s.pinned ?? false,
    ...(s.rt ? { rt_priority: s.rt } : {}),
    scope,
    load_clients: load,
    load_open: loaded.load_open,
    requested_rate: rate,
    offered_rate: Math.round(sent.ticks / wall),
    sent: sent.ticks,
    received: sum.ticks,
    drops: sent.ticks - sum.ticks,
    ring_drops: ringDrops,
    wire_to_bar_ns: sum.wire_latency_ns.to_bar,
    wire_to_send_ns: sum.wire_latency_ns.to_send,
    rx_to_bar_ns: sum.latency_ns,
    wire_to_subscriber_ns: got.latency_ns,
    ...(sent.send_lag_ns ? { publisher_late_ns: sent.send_lag_ns } : {}),
    subscriber_trades: got.trades,
    subscriber_expected: scope === "one" ? sum.trades_by_symbol?.[ONE] ?? 0 : sum.trades,
    cpu_s_per_m_ticks: Number((cpu / Math.max(sent.ticks / 1e6, 1e-9)).toFixed(3)),
    rss_peak_bytes: mem.peak,
    ...gcStats(out.stdout, sum.ticks),
    cores: { ...cores, subscriber: subCores, load: loadProc ? loadCores : 0 },
  };
  log(describe(row));
  return row;
}

function describe(r: Row): string {
  const us = (p: Percentiles) => `p50 ${(p.p50 / 1e3).toFixed(0)} p99 ${(p.p99 / 1e3).toFixed(0)}`;
  return `${r.pipeline}${r.pinned ? " pinned" : ""}${r.rt_priority ? " rt" : ""} @ ${
    r.requested_rate || "flat out"
  } ` +
    `${r.scope}${r.load_clients ? ` +${r.load_clients} clients` : ""}: ${r.received}/${r.sent} ` +
    `ticks; wire→bar ${us(r.wire_to_bar_ns)} µs; wire→subscriber ${us(r.wire_to_subscriber_ns)} ` +
    `µs (${r.subscriber_trades}/${r.subscriber_expected} trades); ${r.cpu_s_per_m_ticks} CPU s/M`;
}

// ---------------------------------------------------------------- idle CPU

async function idle(s: Setup): Promise<IdleRow> {
  const udp = port++, http = port++;
  const rx = spawn(s.argv(udp, http), /feed running/);
  await rx.ready;
  const sub = subscriber(s.url(http), "one");
  await sub.ready;
  await sleep(1000);
  const span = idleSeconds, c0 = cpuSeconds(rx.pid);
  await sleep(span * 1000);
  const share = (cpuSeconds(rx.pid) - c0) / span;
  await sub.stop("SIGTERM");
  await rx.stop(s.json ? "SIGTERM" : "SIGINT");
  log(`${s.pipeline} idle: ${(share * 100).toFixed(1)} % of one core`);
  return { pipeline: s.pipeline, seconds: span, core_share: Number(share.toFixed(4)) };
}

// ---------------------------------------------------------------- capacity

async function capacity(): Promise<CapacityRow[]> {
  if (!hasDpdk() || capacityTicks === 0) return [];
  const dir = Deno.makeTempDirSync({ prefix: "tw-capacity-" }), pcap = `${dir}/feed.pcap`;
  try {
    log(`capacity: writing ${capacityTicks} ticks (32 per frame) to ${pcap}`);
    await run([
      deno,
      "run",
      "-A",
      `${ROOT}src/tools/feed.ts`,
      ...["--pcap-out", pcap, "--rate", "0", "--count", String(capacityTicks)],
      ...["--batch", "32", "--symbols", String(SYMBOLS), "--quiet"],
    ]);
    const rows: CapacityRow[] = [];
    for (const stage of ["bars", "bars+anomaly"] as const) rows.push(await replay(pcap, stage));
    return rows;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The three threads that used the most CPU between two samples, as shares of one core. */
function busiest(
  a: Map<number, { name: string; s: number }>,
  b: Map<number, { name: string; s: number }>,
  seconds: number,
): { name: string; core_share: number }[] {
  return [...b].map(([tid, t]) => ({ name: t.name, s: t.s - (a.get(tid)?.s ?? 0) }))
    .sort((x, y) => y.s - x.s).slice(0, 3)
    .map((t) => ({
      name: THREAD_NAMES[t.name] ?? t.name,
      core_share: Number((t.s / Math.max(seconds, 1e-9)).toFixed(2)),
    }));
}

/** Deno names Workers by start order: the pipeline's first, the scorer's second. */
const THREAD_NAMES: Record<string, string> = {
  "worker-1": "pipeline Worker",
  "worker-2": "scorer Worker",
  "tw-rx": "receive thread",
  deno: "main thread",
};

async function replay(pcap: string, stage: "bars" | "bars+anomaly"): Promise<CapacityRow> {
  const eal = `--no-huge --no-pci --no-shconf -m 1024 --vdev=net_pcap0,rx_pcap=${pcap}`;
  const p = spawn([
    deno,
    "run",
    "-A",
    `${ROOT}src/main.ts`,
    ...["--feed", "dpdk", "--eal", eal, "--policy", "block", "--exit-on-eof", "--no-http"],
    ...["--windows", "1s,1m", "--status-interval", "0"],
    ...(stage === "bars" ? ["--no-anomaly"] : []),
  ], /feed running/);
  await p.ready;
  const t0 = performance.now(), c0 = cpuSeconds(p.pid), th0 = threadSeconds(p.pid);
  let cpu = 0, th = th0, tLast = t0;
  const poll = setInterval(() => {
    cpu = cpuSeconds(p.pid) - c0 || cpu;
    // merged: a thread that already ended keeps its last reading
    const now = threadSeconds(p.pid);
    if (now.size > 0) [th, tLast] = [new Map([...th, ...now]), performance.now()];
  }, 200);
  await p.exited; // the replay ends by itself at the end of the capture
  const out = (await p.stop()).stdout;
  clearInterval(poll);
  const wall = (performance.now() - t0) / 1000;
  const sum = lastJson(out) as { ticks: number; processing_s: number; model?: unknown };
  const span = sum.processing_s > 0 ? sum.processing_s : wall;
  const row: CapacityRow = {
    stage,
    ticks: sum.ticks,
    drops: capacityTicks - sum.ticks,
    seconds: Number(span.toFixed(3)),
    ticks_per_s: Math.round(sum.ticks / span),
    wall_seconds: Number(wall.toFixed(3)),
    wall_ticks_per_s: Math.round(sum.ticks / wall),
    cpu_s_per_m_ticks: Number((cpu / Math.max(sum.ticks / 1e6, 1e-9)).toFixed(3)),
    threads: busiest(th0, th, (tLast - t0) / 1000),
    model: sum.model ?? null,
  };
  log(
    `capacity ${stage}: ${row.ticks} ticks in ${row.seconds} s = ${row.ticks_per_s}/s ` +
      `(process wall ${row.wall_seconds} s = ${row.wall_ticks_per_s}/s)`,
  );
  return row;
}

// ---------------------------------------------------------------- main

const cpuModel = (Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/) ?? [])[1] ??
  "unknown";
const machine = {
  cpus: navigator.hardwareConcurrency,
  cpu_model: cpuModel,
  memory_gib: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
  os: `${Deno.build.os} ${Deno.osRelease()}`,
  deno: Deno.version.deno,
  dpdk: hasDpdk(),
  date: new Date().toISOString(),
};
log(`machine: ${machine.cpus} CPUs (${cpuModel}); rates ${rates.join(",")}; ${seconds} s each`);

const rows: Row[] = [];
const scopes = ["one", "all"] as const;
for (const rate of rates) {
  for (const scope of scopes) {
    rows.push(await measure(udpSetup(false), rate, scope));
    rows.push(await measure(baselineSetup, rate, scope));
  }
}
for (const rate of rates.filter((r) => r > 0 && r <= 1_000_000)) {
  rows.push(await measure(udpSetup(true), rate, "one"));
}
// real-time receive thread and Worker (SCHED_FIFO needs root or CAP_SYS_NICE)
for (const rate of Deno.uid() === 0 ? rates.filter((r) => r > 0 && r <= 1_000_000) : []) {
  rows.push(await measure(udpSetup(false, true), rate, "one"));
}
const fanRate = rates.includes(100_000) ? 100_000 : rates[0];
for (const load of fanout.filter((n) => n > 0)) {
  rows.push(await measure(udpSetup(false), fanRate, "one", load));
  rows.push(await measure(baselineSetup, fanRate, "one", load));
}
let dpdk = "measured with net_af_packet on a veth pair";
if (!hasDpdk()) dpdk = "skipped: libtickwire built without DPDK";
else if (Deno.uid() !== 0) dpdk = "skipped: the veth/netns set-up for net_af_packet needs root";
else {
  await withVeth(async (ns, iface, own) => {
    for (const rate of rates) {
      for (const scope of scopes) rows.push(await measure(dpdkSetup(ns, iface, own), rate, scope));
    }
  });
}
const idleRows = [await idle(udpSetup(false)), await idle(baselineSetup)];
const capacityRows = await capacity();

const report = {
  machine,
  settings: {
    rates,
    seconds,
    quick,
    symbols: SYMBOLS,
    subscriber_symbol: ONE,
    windows: ["1s", "1m"],
  },
  dpdk,
  rows,
  idle: idleRows,
  capacity: capacityRows,
};
Deno.mkdirSync(outDir, { recursive: true });
Deno.writeTextFileSync(outJson, JSON.stringify(report, null, 2) + "\n");
const md = markdown(report);
Deno.writeTextFileSync(`${outDir}e2e.md`, md);
console.log(md);
log(`wrote ${outJson} and ${outDir}e2e.md`);
