/**
 * `deno task bench:idle`: the ring hop latency (C producer stamps
 * CLOCK_MONOTONIC when it publishes a frame, the TypeScript consumer reads
 * the same clock when it sees it) for every pair of idle strategies, at a
 * fixed offered rate, one tick per frame. Reports p50/p90/p99/p99.9/max and
 * the CPU time the process burned per second, into
 * bench/results/idle_latency.{json,md}.
 *
 * Usage: deno task bench:idle [--rates 10000,100000] [--seconds S]
 * @module
 */
import { createRing, RingConsumer } from "../src/ring/ring.ts";
import { NativeFeed } from "../src/native/feed.ts";
import { IDLE_KINDS, type IdleKind, Idler } from "../src/pipeline/idle.ts";
import { native } from "../src/native/lib.ts";
import { benchArgs, numList } from "./lib/cli.ts";

const { rates, seconds } = benchArgs("bench:idle", "Usage: deno task bench:idle [options]", {
  rates: { arg: "N,N", section: "Options", help: "ticks/s per row, one per frame (10000,100000)" },
  seconds: { arg: "S", section: "Options", help: "seconds per row (1.5)" },
}, (v, num) => ({
  rates: numList("rates", v.rates as string | undefined, "10000,100000", 1, 1e8),
  seconds: num("seconds", v.seconds as string | undefined, 1.5, 0.01, 3600, false),
}));
const now = native().symbols.tw_now_ns;
const TWO32 = 4294967296;

function cpuSeconds(): number {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 10 ms
}

function pct(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

interface Row {
  rate: number;
  producer: IdleKind;
  consumer: IdleKind;
  samples: number;
  p50_ns: number;
  p90_ns: number;
  p99_ns: number;
  p999_ns: number;
  max_ns: number;
  cpu_per_s: number;
  ring_drops: number;
}

function measure(rate: number, producer: IdleKind, consumer: IdleKind): Row {
  const ring = createRing(1 << 22, 4096);
  const samples = new Float64Array(Math.ceil(rate * seconds * 1.2) + 1000);
  let n = 0;
  const idler = new Idler(consumer, { spins: 200, sleepUs: 100 });
  const c = new RingConsumer(ring);
  const h = (_b: Uint8Array, _o: number, _l: number, lo: number, hi: number) => {
    const lat = now() - (hi * TWO32 + lo);
    if (n < samples.length) samples[n++] = lat;
  };
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  const feed = NativeFeed.start("synth", ring, {
    rate,
    batch: 1,
    count: Math.floor(rate * seconds),
    idle: producer,
    seed: 1,
  });
  while (!c.drained()) {
    if (c.poll(h) > 0) idler.reset();
    else idler.idle();
  }
  const wall = (performance.now() - t0) / 1000;
  const st = feed.stop();
  const cpu = (cpuSeconds() - cpu0) / wall;
  const s = samples.subarray(0, n).sort();
  return {
    rate,
    producer,
    consumer,
    samples: n,
    p50_ns: Math.round(pct(s, 0.5)),
    p90_ns: Math.round(pct(s, 0.9)),
    p99_ns: Math.round(pct(s, 0.99)),
    p999_ns: Math.round(pct(s, 0.999)),
    max_ns: Math.round(s[n - 1]),
    cpu_per_s: Number(cpu.toFixed(2)),
    ring_drops: st.ringDrops,
  };
}

const rows: Row[] = [];
for (const rate of rates) {
  for (const p of IDLE_KINDS) {
    for (const c of IDLE_KINDS) {
      const r = measure(rate, p, c);
      rows.push(r);
      console.error(
        `${rate}/s producer ${p.padEnd(5)} consumer ${c.padEnd(5)}: p50 ${
          (r.p50_ns / 1e3).toFixed(1)
        } us, p99 ${(r.p99_ns / 1e3).toFixed(1)} us, p99.9 ${
          (r.p999_ns / 1e3).toFixed(1)
        } us, max ${(r.max_ns / 1e3).toFixed(0)} us, cpu ${r.cpu_per_s} cores`,
      );
    }
  }
}
const machine = {
  cpus: navigator.hardwareConcurrency,
  model: (Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/) ?? [])[1] ??
    "unknown",
  memory_gib: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
  os: `${Deno.build.os} ${Deno.osRelease()}`,
  deno: Deno.version.deno,
};
const out = new URL("./results/", import.meta.url).pathname;
Deno.mkdirSync(out, { recursive: true });
Deno.writeTextFileSync(
  `${out}idle_latency.json`,
  JSON.stringify({ machine, rates, seconds, rows }, null, 2) + "\n",
);
const us = (x: number) => (x / 1e3).toFixed(1);
const md = [
  `Ring hop latency (C publish to TS read) by idle strategy, one tick per frame, ${seconds} s per row.`,
  `Machine: ${machine.cpus} CPUs (${machine.model}), ${machine.memory_gib} GiB, ${machine.os}, Deno ${machine.deno}.`,
  "",
  "| ticks/s | producer | consumer | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | CPU cores used |",
  "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...rows.map((r) =>
    `| ${r.rate} | ${r.producer} | ${r.consumer} | ${us(r.p50_ns)} | ${us(r.p90_ns)} | ${
      us(r.p99_ns)
    } | ${us(r.p999_ns)} | ${us(r.max_ns)} | ${r.cpu_per_s} |`
  ),
  "",
].join("\n");
Deno.writeTextFileSync(`${out}idle_latency.md`, md);
console.log(md);
