/**
 * `deno task bench:e2e`: end-to-end throughput and latency of the real
 * pipeline against the obvious Deno program, measured in the same run.
 *
 * For each pipeline and offered rate, a receiver process is started, the
 * publisher (`deno task feed`) sends synthetic ticks at that rate (0 = flat
 * out) for a few seconds, and the receiver's summary gives ticks received,
 * drops, and the latency from receive (stamped in C at rx, CLOCK_MONOTONIC)
 * to the bar update in TypeScript (same clock), per tick, from an HDR-style
 * histogram. GC counts come from --trace-gc.
 *
 * Both sides do the same work: decode and 1 s / 1 m bars (tickwire runs
 * with --no-anomaly; the anomaly stage is measured by bench/anomaly_bench.ts).
 *
 * Pipelines: tickwire-udp (kernel UDP, recvmmsg in C, loopback),
 * tickwire-dpdk (DPDK net_af_packet on a veth pair, sender in a network
 * namespace; needs root), baseline-deno-udp-json (bench/fixtures/
 * baseline_udp_json.ts: Deno.listenDatagram + JSON.parse + Map bars).
 *
 * Output: --json FILE (default bench/results/e2e.json), plus e2e.md and
 * e2e.svg beside it. --quick finishes in under a minute on 2 cores.
 *
 * Usage: deno task bench:e2e [--quick] [--json FILE] [--rates 50000,100000,1000000,0] [--seconds S]
 * @module
 */
import { parseArgs } from "node:util";
import { createRing, RingConsumer } from "../src/ring/ring.ts";
import { NativeFeed } from "../src/native/feed.ts";
import { hasDpdk, native } from "../src/native/lib.ts";
import { TickConsumer } from "../src/pipeline/consumer.ts";
import { BarAggregator } from "../src/bars/aggregator.ts";
import { EventWriter } from "../src/pipeline/events.ts";
import { FrameReader, symbolName, tickPrice } from "../src/wire/frame.ts";
import type { Percentiles } from "../src/pipeline/latency.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "string" },
    rates: { type: "string" },
    seconds: { type: "string" },
  },
});
const ROOT = new URL("../", import.meta.url).pathname;
const quick = values.quick;
const rates = (values.rates ?? "50000,100000,1000000,0").split(",").map(Number);
const seconds = Number(values.seconds ?? (quick ? 2 : 5));
const outJson = values.json ?? `${ROOT}bench/results/e2e.json`;
const outDir = outJson.replace(/[^/]*$/, "");
if (rates.some((r) => !(r >= 0)) || !(seconds > 0)) {
  console.error(
    "usage: deno task bench:e2e [--quick] [--json FILE] [--rates 100000,1000000,0] [--seconds S]",
  );
  Deno.exit(2);
}
const log = (s: string) => console.error(`bench:e2e: ${s}`);

// ---------------------------------------------------------------- helpers

const us = (ns: number) => (ns / 1e3).toFixed(1);

interface Proc {
  child: Deno.ChildProcess;
  ready: Promise<void>;
  stop(sig?: Deno.Signal): Promise<{ stdout: string; stderr: string; code: number }>;
}

function spawn(argv: string[]): Proc {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  })
    .spawn();
  let stderr = "", stdout = "";
  const { promise: ready, resolve, reject } = Promise.withResolvers<void>();
  ready.catch(() => {});
  const errDone = (async () => {
    const d = new TextDecoder();
    for await (const c of child.stderr) {
      stderr += d.decode(c, { stream: true });
      if (/feed running/.test(stderr)) resolve();
    }
    reject(new Error(`receiver ended early: ${stderr.slice(-2000)}`));
  })();
  const outDone = (async () => {
    const d = new TextDecoder();
    for await (const c of child.stdout) stdout += d.decode(c, { stream: true });
  })();
  return {
    child,
    ready,
    async stop(sig: Deno.Signal = "SIGINT") {
      try {
        child.kill(sig);
      } catch { /* gone */ }
      const st = await child.status;
      await outDone;
      await errDone;
      return { stdout, stderr, code: st.code };
    },
  };
}

async function run(argv: string[]): Promise<string> {
  const o = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!o.success) throw new Error(`${argv.join(" ")}: ${new TextDecoder().decode(o.stderr)}`);
  return new TextDecoder().decode(o.stdout);
}

function gcStats(stdout: string, ticks: number) {
  let gcs = 0, freed = 0;
  for (const l of stdout.split("\n")) {
    const m = /(Scavenge|Mark-Compact|Minor[\w-]*) ([\d.]+) \([\d.]+\) -> ([\d.]+)/.exec(l);
    if (!m) continue;
    gcs++;
    freed += Math.max(0, Number(m[2]) - Number(m[3]));
  }
  return {
    gc_count: gcs,
    gc_bytes_per_tick: ticks ? Number(((freed * 2 ** 20) / ticks).toFixed(2)) : 0,
  };
}

function lastJson(stdout: string): Record<string, unknown> {
  // GC trace lines share stdout; the summary is the last line holding '{"'
  const l = stdout.split("\n").filter((x) => x.includes('{"')).pop();
  if (!l) throw new Error(`no summary in: ${stdout.slice(-500)}`);
  return JSON.parse(l.slice(l.indexOf('{"')));
}

interface Row {
  pipeline: "tickwire-dpdk" | "tickwire-udp" | "baseline-deno-udp-json";
  offered_rate: number;
  requested_rate: number;
  achieved_rate: number;
  sent: number;
  received: number;
  drops: number;
  latency_ns: { p50: number; p90: number; p99: number; p999: number; max: number };
  gc_count: number;
  gc_bytes_per_tick: number;
}

const deno = Deno.execPath();
const feedTool = `${ROOT}src/tools/feed.ts`;

async function measure(
  pipeline: Row["pipeline"],
  rate: number,
  receiver: string[],
  sendTo: string,
  wrapSender: string[],
  json: boolean,
): Promise<Row> {
  const rx = spawn(receiver);
  await rx.ready;
  const count = rate > 0 ? Math.round(rate * seconds) : (quick ? 1_500_000 : 4_000_000);
  const sent = JSON.parse(
    await run([
      ...wrapSender,
      deno,
      "run",
      "-A",
      feedTool,
      "--to",
      sendTo,
      "--rate",
      String(rate),
      "--count",
      String(count),
      "--symbols",
      "64",
      "--quiet",
      ...(json ? ["--format", "json"] : []),
    ]),
  );
  await new Promise((r) => setTimeout(r, 400));
  const out = await rx.stop(json ? "SIGTERM" : "SIGINT");
  const s = lastJson(out.stdout) as { ticks: number; latency_ns: Percentiles };
  const received = s.ticks;
  const lat = s.latency_ns;
  const row: Row = {
    pipeline,
    offered_rate: Math.round(sent.ticks / Math.max(sent.seconds, 1e-3)),
    requested_rate: rate,
    achieved_rate: Math.round(received / Math.max(sent.seconds, 1e-3)),
    sent: sent.ticks,
    received,
    drops: sent.ticks - received,
    latency_ns: { p50: lat.p50, p90: lat.p90, p99: lat.p99, p999: lat.p999, max: lat.max },
    ...gcStats(out.stdout, received),
  };
  log(
    `${pipeline} @ ${
      rate || "flat out"
    }: offered ${row.offered_rate}/s, got ${row.achieved_rate}/s, drops ${row.drops}, ` +
      `p50 ${(lat.p50 / 1e3).toFixed(1)} us p99 ${(lat.p99 / 1e3).toFixed(1)} us p99.9 ${
        (lat.p999 / 1e3).toFixed(1)
      } us`,
  );
  return row;
}

// ------------------------------------------------------- per-stage costs

function stageCosts() {
  const stages: { stage: string; ns_per_op: number; unit: string; note: string }[] = [];
  const lib = native().symbols;
  const N = 1_000_000;
  let t0 = performance.now(), acc = 0;
  for (let i = 0; i < N; i++) acc += lib.tw_now_ns();
  stages.push({
    stage: "ffi_call",
    ns_per_op: ((performance.now() - t0) * 1e6) / N,
    unit: "call",
    note: "tw_now_ns() through Deno FFI (the clock read per frame)",
  });
  // ring hop throughput: C pattern producer -> TS consumer, 64-byte records
  const ring = createRing(1 << 20, 1024);
  t0 = performance.now();
  const feed = NativeFeed.start("pattern", ring, {
    count: 500_000,
    min: 64,
    max: 64,
    policy: "block",
    idle: "yield",
  });
  const c = new RingConsumer(ring);
  while (!c.drained()) c.poll(() => {});
  feed.stop();
  stages.push({
    stage: "ring",
    ns_per_op: ((performance.now() - t0) * 1e6) / 500_000,
    unit: "record",
    note: "C thread -> SharedArrayBuffer ring -> TS, 64-byte records",
  });
  // decode, and decode + bars, per tick over 200k synthetic ticks
  const data = createRing(1 << 24, 4096);
  const gen = NativeFeed.start("synth", data, { count: 200_000, rate: 0, seed: 5, symbols: 64 });
  while (gen.state() === 1) { /* generating */ }
  gen.stop();
  const offs: number[] = [], lens: number[] = [];
  const dc = new RingConsumer(data);
  dc.poll((_b, o, l) => {
    offs.push(o);
    lens.push(l);
  });
  const bytes = dc.bytes;
  const plain = new TickConsumer({ maxSymbols: 128 });
  const ev = createRing(1 << 22, 4096), ew = new EventWriter(ev), er = new RingConsumer(ev);
  const bars = new BarAggregator(
    { windowsMs: [1000, 60_000], latenessMs: 0, alignOffsetMs: 0, fill: false, maxSymbols: 128 },
    ew,
  );
  const full = new TickConsumer({ maxSymbols: 128, bars, events: ew });
  const time = (fn: () => void, rounds: number) => {
    fn();
    const t = performance.now();
    for (let r = 0; r < rounds; r++) fn();
    return ((performance.now() - t) * 1e6) / (rounds * 200_000);
  };
  stages.push({
    stage: "decode",
    ns_per_op: time(() => {
      plain.seq.reset();
      for (let i = 0; i < offs.length; i++) plain.onRecord(bytes, offs[i], lens[i], 0, 0);
    }, 10),
    unit: "tick",
    note: "zero-copy FlatBuffers frame + sequence + symbol + counters",
  });
  stages.push({
    stage: "decode+bars",
    ns_per_op: time(() => {
      full.seq.reset();
      bars.reset();
      for (let i = 0; i < offs.length; i++) full.onRecord(bytes, offs[i], lens[i], 0, 0);
      ew.flush();
      er.poll(() => {});
    }, 10),
    unit: "tick",
    note: "the same plus 1 s and 1 m bars",
  });
  const r = new FrameReader();
  const json = offs.map((o, i) => {
    const n = r.open(bytes, o, lens[i]);
    const ticks = [];
    for (let k = 0; k < n; k++) {
      const t = r.tick(k);
      ticks.push({
        sym: symbolName(t.symbolLo(), t.symbolHi()),
        sec: t.tsSec(),
        nsec: t.tsNsec(),
        price: tickPrice(t),
        size: t.size(),
      });
    }
    return JSON.stringify({ seq: r.firstSeq(), ticks });
  });
  stages.push({
    stage: "baseline-json-parse",
    ns_per_op: time(() => {
      for (const s of json) acc += JSON.parse(s).ticks.length;
    }, 5),
    unit: "tick",
    note: "JSON.parse of the same ticks (what the baseline does first)",
  });
  if (acc < 0) throw new Error();
  return stages.map((s) => ({ ...s, ns_per_op: Number(s.ns_per_op.toFixed(1)) }));
}

// ---------------------------------------------------------------- veth

async function withVeth<T>(
  fn: (ns: string, iface: string, ownIp: string) => Promise<T>,
): Promise<T> {
  const id = `${Deno.pid % 10000}`;
  const ns = `twbench${id}`, a = `twba${id}`, b = `twbb${id}`;
  const own = "10.213.9.1", peer = "10.213.9.2";
  const ip = (...args: string[]) => run(["ip", ...args]);
  try {
    await ip("netns", "add", ns);
    await ip("link", "add", a, "type", "veth", "peer", "name", b);
    await ip("link", "set", b, "netns", ns);
    await ip("addr", "add", `${own}/30`, "dev", a);
    await ip("link", "set", a, "up");
    await ip("netns", "exec", ns, "ip", "addr", "add", `${peer}/30`, "dev", b);
    await ip("netns", "exec", ns, "ip", "link", "set", b, "up");
    return await fn(ns, a, own);
  } finally {
    await ip("link", "del", a).catch(() => {});
    await ip("netns", "del", ns).catch(() => {});
  }
}

// ---------------------------------------------------------------- main

const cpuModel = (Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/) ?? [])[1] ??
  "unknown";
const machine = {
  cpus: navigator.hardwareConcurrency,
  cpu_model: cpuModel,
  memory_gib: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
  os: `${Deno.build.os} ${Deno.osRelease()}`,
  arch: Deno.build.arch,
  deno: Deno.version.deno,
  v8: Deno.version.v8,
  dpdk: hasDpdk(),
  date: new Date().toISOString(),
};
log(
  `machine: ${machine.cpus} CPUs (${cpuModel}), ${machine.memory_gib} GiB; rates ${
    rates.join(",")
  }; ${seconds} s each`,
);

const e2e: Row[] = [];
const tw = (args: string[]) => [
  "stdbuf",
  "-oL",
  deno,
  "run",
  "-A",
  "--v8-flags=--trace-gc",
  `${ROOT}src/main.ts`,
  "--windows",
  "1s,1m",
  "--status-interval",
  "0",
  "--no-http",
  "--no-anomaly", // the baseline does bars only: compare like with like
  ...args,
];
let port = 47000 + (Deno.pid % 1000) * 2;
for (const rate of rates) {
  port++;
  e2e.push(
    await measure(
      "tickwire-udp",
      rate,
      tw(["--feed", "udp", "--listen", `127.0.0.1:${port}`]),
      `127.0.0.1:${port}`,
      [],
      false,
    ),
  );
  port++;
  e2e.push(
    await measure(
      "baseline-deno-udp-json",
      rate,
      [
        "stdbuf",
        "-oL",
        deno,
        "run",
        "-A",
        "--v8-flags=--trace-gc",
        `${ROOT}bench/fixtures/baseline_udp_json.ts`,
        `127.0.0.1:${port}`,
      ],
      `127.0.0.1:${port}`,
      [],
      true,
    ),
  );
}
let dpdkNote = "";
if (!hasDpdk()) dpdkNote = "skipped: libtickwire built without DPDK";
else if (Deno.uid() !== 0) dpdkNote = "skipped: the veth/netns set-up for net_af_packet needs root";
else {
  await withVeth(async (ns, iface, own) => {
    for (const rate of rates) {
      e2e.push(
        await measure(
          "tickwire-dpdk",
          rate,
          tw([
            "--feed",
            "dpdk",
            "--eal",
            `--no-huge --no-pci --no-shconf -m 512 --vdev=net_af_packet0,iface=${iface},framecnt=8192`,
            "--udp-port",
            "5555",
          ]),
          `${own}:5555`,
          ["ip", "netns", "exec", ns],
          false,
        ),
      );
    }
  });
}
if (dpdkNote) log(`tickwire-dpdk ${dpdkNote}`);

log("per-stage costs");
const stages = stageCosts();

// Sustained rate with zero drops, and the ratio against the baseline.
const sustained = (p: string) =>
  Math.max(0, ...e2e.filter((r) => r.pipeline === p && r.drops === 0).map((r) => r.achieved_rate));
const best = (p: string) =>
  Math.max(0, ...e2e.filter((r) => r.pipeline === p).map((r) => r.achieved_rate));
const base = sustained("baseline-deno-udp-json");
const summary = {
  sustained_zero_drop_rate: {
    "tickwire-dpdk": sustained("tickwire-dpdk"),
    "tickwire-udp": sustained("tickwire-udp"),
    "baseline-deno-udp-json": base,
  },
  best_rate: {
    "tickwire-dpdk": best("tickwire-dpdk"),
    "tickwire-udp": best("tickwire-udp"),
    "baseline-deno-udp-json": best("baseline-deno-udp-json"),
  },
  ratio_vs_baseline: {
    "tickwire-dpdk": base ? Number((sustained("tickwire-dpdk") / base).toFixed(2)) : null,
    "tickwire-udp": base ? Number((sustained("tickwire-udp") / base).toFixed(2)) : null,
  },
  dpdk: dpdkNote || "measured with net_af_packet on a veth pair",
};
const report = {
  machine,
  settings: { rates, seconds, quick, windows: ["1s", "1m"] },
  e2e,
  stages,
  summary,
};
Deno.mkdirSync(outDir, { recursive: true });
Deno.writeTextFileSync(outJson, JSON.stringify(report, null, 2) + "\n");

/** Where the time goes at 1M ticks/s offered, from the per-stage costs. */
function breakdown(): string {
  const at = (p: string) => e2e.find((r) => r.pipeline === p && r.requested_rate === 1_000_000);
  const row = at("tickwire-dpdk") ?? at("tickwire-udp");
  if (!row) return "";
  const cost = (name: string) => stages.find((x) => x.stage === name)?.ns_per_op ?? 0;
  const perTick = cost("decode+bars") + cost("ring") / 16 + cost("ffi_call") / 16;
  return `Breakdown at 1M ticks/s (${row.pipeline}): the CPU work per tick is ${
    perTick.toFixed(0)
  } ns ` +
    `(decode + bars ${cost("decode+bars")} ns, ring ${
      (cost("ring") / 16).toFixed(1)
    } ns and clock read ` +
    `${(cost("ffi_call") / 16).toFixed(1)} ns per tick at 16 ticks per frame), ${
      (perTick / 1e3 * 100).toFixed(1)
    } % of one core at 1M ticks/s, while p99 receive-to-bar latency is ${
      us(row.latency_ns.p99)
    } µs: ` +
    `the tail is time spent waiting to be scheduled (publisher, receive thread, pipeline Worker and main ` +
    `thread share ${machine.cpus} CPUs), not work.`;
}

// Markdown table
const md = [
  `# tickwire end-to-end benchmark`,
  "",
  `Machine: ${machine.cpus} CPUs (${cpuModel}), ${machine.memory_gib} GiB, ${machine.os}, Deno ${machine.deno}; ${machine.date}.`,
  `Each row: ${seconds} s of synthetic ticks (64 symbols, 16 per datagram) from the publisher; latency from receive to bar update, per tick.`,
  "",
  "| pipeline | offered ticks/s | achieved ticks/s | drops | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | GCs | GC bytes/tick |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...e2e.map((r) =>
    `| ${r.pipeline} | ${r.offered_rate}${
      r.requested_rate ? "" : " (flat out)"
    } | ${r.achieved_rate} | ${r.drops} | ${us(r.latency_ns.p50)} | ${us(r.latency_ns.p90)} | ${
      us(r.latency_ns.p99)
    } | ${us(r.latency_ns.p999)} | ${
      us(r.latency_ns.max)
    } | ${r.gc_count} | ${r.gc_bytes_per_tick} |`
  ),
  "",
  `Sustained rate with zero drops: ${
    Object.entries(summary.sustained_zero_drop_rate).map(([k, v]) => `${k} ${v}/s`).join(", ")
  }. Ratio against the baseline: ${
    Object.entries(summary.ratio_vs_baseline).map(([k, v]) => `${k} ${v ?? "n/a"}×`).join(", ")
  }. DPDK: ${summary.dpdk}.`,
  "",
  breakdown(),
  "",
  "Per-stage cost (same run):",
  "",
  "| stage | ns | per | what |",
  "| --- | ---: | --- | --- |",
  ...stages.map((s) => `| ${s.stage} | ${s.ns_per_op} | ${s.unit} | ${s.note} |`),
  "",
].join("\n");
Deno.writeTextFileSync(`${outDir}e2e.md`, md);

// SVG: latency at each percentile, log scale, one line per row
const W = 760, H = 420, L = 70, R = 260, T = 30, B = 50;
const pts = ["p50", "p90", "p99", "p999", "max"] as const;
const all = e2e.flatMap((r) => pts.map((p) => Math.max(r.latency_ns[p], 100)));
const lo = Math.log10(Math.min(...all, 1e3)), hi = Math.log10(Math.max(...all, 1e4));
const x = (i: number) => L + (i * (W - L - R)) / (pts.length - 1);
const y = (v: number) => T + (H - T - B) * (1 - (Math.log10(Math.max(v, 100)) - lo) / (hi - lo));
const colors = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
];
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
  `<rect width="${W}" height="${H}" fill="white"/>`,
  `<text x="${L}" y="18" font-size="14">Receive-to-bar latency per tick (log scale), ${machine.cpus} CPUs</text>`,
];
for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
  const v = 10 ** d;
  const label = v >= 1e6 ? `${v / 1e6} ms` : v >= 1e3 ? `${v / 1e3} µs` : `${v} ns`;
  svg.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
  svg.push(`<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${label}</text>`);
}
pts.forEach((p, i) =>
  svg.push(`<text x="${x(i)}" y="${H - B + 18}" text-anchor="middle">${p}</text>`)
);
e2e.forEach((r, k) => {
  const c = colors[k % colors.length];
  const path = pts.map((p, i) =>
    `${i ? "L" : "M"}${x(i).toFixed(1)},${y(r.latency_ns[p]).toFixed(1)}`
  ).join(" ");
  svg.push(`<path d="${path}" fill="none" stroke="${c}" stroke-width="2"/>`);
  svg.push(`<rect x="${W - R + 12}" y="${T + k * 18}" width="12" height="4" fill="${c}"/>`);
  svg.push(
    `<text x="${W - R + 30}" y="${T + k * 18 + 6}">${r.pipeline} @ ${
      r.requested_rate ? r.requested_rate : "flat out"
    }</text>`,
  );
});
svg.push("</svg>");
Deno.writeTextFileSync(`${outDir}e2e.svg`, svg.join("\n") + "\n");
console.log(md);
