/**
 * `deno task bench:cluster`: what scaling out over NATS JetStream costs and
 * gives, measured in one run against the standalone program on the same
 * machine and feed.
 *
 * 1. Throughput: the same synthetic feed (flat out, --policy block, 1s/1m
 *    bars) through a standalone tickwire, a processor that also publishes
 *    every trade and bar to NATS, and two processor shards (--shard 0/2,
 *    1/2) side by side, each reading the whole feed.
 * 2. The gateway hop: with a paced feed, the same final 1 s bar is timed
 *    at a client of the processor's own server and at a client of a
 *    gateway (processor -> NATS -> gateway); the difference is what the
 *    cluster adds to delivery.
 *
 * Output: bench/results/cluster.json and cluster.md (or --json FILE).
 *
 * Usage: deno task bench:cluster [--quick] [--json FILE]
 * @module
 */
import { startNats } from "../tests/nats_cluster.ts";
import { benchArgs } from "./lib/cli.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const values = benchArgs("bench:cluster", "Usage: deno task bench:cluster [options]", {
  quick: { section: "Options", help: "one repeat of 500,000 ticks and a 5 s paced run" },
  json: { arg: "FILE", section: "Options", help: "results file (bench/results/cluster.json)" },
}, (v) => ({ quick: v.quick === true, json: v.json as string | undefined }));
const outJson = values.json ?? `${ROOT}bench/results/cluster.json`;
const COUNT = values.quick ? 500_000 : 5_000_000;
const REPEATS = values.quick ? 1 : 3;
const PACED_S = values.quick ? 5 : 12;
const log = (s: string) => console.error(`bench:cluster: ${s}`);

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}src/main.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
}

async function finish(c: Deno.ChildProcess): Promise<Record<string, unknown>> {
  const out = await c.output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(text);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

const FLAT = [
  "--rate",
  "0",
  "--count",
  String(COUNT),
  "--policy",
  "block",
  "--no-http",
  "--quiet",
  "--no-model",
  "--seed",
  "5",
  "--start",
  "2026-01-02T00:00:00Z",
];

/** Wall seconds for a set of processes started together to all finish. */
async function timed(argss: string[][]): Promise<{ s: number; sums: Record<string, unknown>[] }> {
  const t0 = performance.now();
  const sums = await Promise.all(argss.map((a) => finish(spawn(a))));
  return { s: (performance.now() - t0) / 1000, sums };
}

/** Arrival times (performance.timeOrigin-based ms) of final 1 s bars at a WebSocket client. */
function arrivals(
  url: string,
): { times: Map<string, number>; close(): void; ready: Promise<void> } {
  const ws = new WebSocket(`${url.replace("http", "ws")}/v1/stream`);
  const times = new Map<string, number>();
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data as string);
    if (m.type === "bar" && m.final) times.set(`${m.symbol}|${m.start}`, performance.now());
  };
  const ready = new Promise<void>((r) => (ws.onopen = () => r()));
  ready.then(() =>
    ws.send(JSON.stringify({ op: "subscribe", channels: ["bars:1s"], symbols: ["*"] }))
  );
  return { times, close: () => ws.close(), ready };
}

async function serverUrl(c: Deno.ChildProcess): Promise<{ url: string; rest: Promise<void> }> {
  const reader = c.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`no server URL: ${err}`);
    err += value;
    const m = /serving (http:\/\/\S+)/.exec(err);
    if (m) {
      const rest = (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })();
      return { url: m[1], rest };
    }
  }
}

await using nats = await startNats(1);
log(`nats-server on ${nats.nats}; ${COUNT} ticks per run, ${REPEATS} runs each`);

const results: Record<string, unknown> = { count: COUNT, repeats: REPEATS };
const runs: Record<string, number[]> = { standalone: [], processor: [], two_shards: [] };
let published = 0;
for (let r = 0; r < REPEATS; r++) {
  runs.standalone.push((await timed([FLAT])).s);
  const p = await timed([[...FLAT, "--nats", nats.nats]]);
  runs.processor.push(p.s);
  published = (p.sums[0].cluster as Record<string, number>).core_published;
  runs.two_shards.push(
    (await timed([0, 1].map((i) => [...FLAT, "--nats", nats.nats, "--shard", `${i}/2`]))).s,
  );
  log(
    `run ${r + 1}: ${Object.entries(runs).map(([k, v]) => `${k} ${v[r].toFixed(2)} s`).join(", ")}`,
  );
}
const tput = Object.fromEntries(
  Object.entries(runs).map(([k, v]) => [k, Math.round(COUNT / median(v))]),
);
results.throughput_ticks_per_s = tput;
results.wall_s = runs;
results.core_messages_per_processor_run = published;

// The hop a cluster adds: the same final bar at a client of the processor's
// own server and at a client of a gateway (processor -> NATS -> gateway).
const PACED = ["--rate", "20000", "--windows", "1s", "--no-model", "--status-interval", "0"];
const gw = spawn([
  "--role",
  "gateway",
  "--nats",
  nats.nats,
  "--windows",
  "1s",
  "--http",
  "127.0.0.1:0",
]);
const gwUrl = await serverUrl(gw);
const proc = spawn([
  ...PACED,
  "--duration",
  String(PACED_S + 2),
  "--nats",
  nats.nats,
  "--http",
  "127.0.0.1:0",
]);
const procUrl = await serverUrl(proc);
const direct = arrivals(procUrl.url), viaGw = arrivals(gwUrl.url);
await Promise.all([direct.ready, viaGw.ready]);
await new Promise((r) => setTimeout(r, PACED_S * 1000));
direct.close();
viaGw.close();
for (const c of [proc, gw]) {
  c.kill("SIGINT");
  await c.status;
}
const hops = [...viaGw.times].filter(([k]) => direct.times.has(k)).map(([k, t]) =>
  t - direct.times.get(k)!
);
const hop = {
  bars: hops.length,
  p50_ms: Number(pct(hops, 0.5).toFixed(2)),
  p99_ms: Number(pct(hops, 0.99).toFixed(2)),
  max_ms: Number(Math.max(...hops).toFixed(2)),
};
results.gateway_hop = hop;
results.ratios = {
  processor_vs_standalone_throughput: Number((tput.processor / tput.standalone).toFixed(3)),
  two_shards_vs_standalone_throughput: Number((tput.two_shards / tput.standalone).toFixed(3)),
  two_shards_vs_one_processor_throughput: Number((tput.two_shards / tput.processor).toFixed(3)),
};
results.machine = { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno };
await Deno.writeTextFile(outJson, JSON.stringify(results, null, 2) + "\n");
const md = `# bench:cluster (${
  new Date().toISOString().slice(0, 10)
}, ${navigator.hardwareConcurrency} CPUs)

Same synthetic feed, ${COUNT} ticks flat out, --policy block, 1s/1m bars; median of ${REPEATS} runs
(wall time of the whole process, start-up included).

| setup | ticks/s | vs standalone |
| --- | ---: | ---: |
| standalone | ${tput.standalone} | 1 |
| processor publishing to NATS | ${tput.processor} | ${
  (tput.processor / tput.standalone).toFixed(2)
}x |
| two shards side by side (aggregate) | ${tput.two_shards} | ${
  (tput.two_shards / tput.standalone).toFixed(2)
}x |

The hop a cluster adds: the same final 1 s bar at a client of the processor's own server and at a
client of a gateway (paced feed, 20k ticks/s, ${PACED_S} s; both clients in this process):

| bars | p50 ms | p99 ms | max ms |
| ---: | ---: | ---: | ---: |
| ${hop.bars} | ${hop.p50_ms} | ${hop.p99_ms} | ${hop.max_ms} |
`;
await Deno.writeTextFile(outJson.replace(/\.json$/, ".md"), md);
console.log(md);
