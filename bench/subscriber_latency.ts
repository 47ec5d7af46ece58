/**
 * Quick probe of wire-to-subscriber latency: a UDP sender stamps each
 * trade with its send time (CLOCK_REALTIME, as event time), tickwire
 * (`--feed udp`, server on) runs as its own process, and a WebSocket client
 * subscribed to one symbol's trades (1/8 of them) records arrival. Prints
 * p50/p90/p99/max in microseconds. Not the full report issue 13 asks for
 * (no coordinated-omission-corrected schedule, no baseline row): a probe.
 *
 * @example
 * ```sh
 * deno run -A bench/subscriber_latency.ts 10000   # ticks/s for 3 s
 * ```
 * @module
 */
import { encodeFrame } from "../src/wire/encode.ts";

const rate = Number(Deno.args[0] ?? 10_000), label = Deno.args[1] ?? "tickwire";
if (!Number.isInteger(rate) || rate < 1 || rate > 1e6 || Deno.args.length > 2) {
  console.error(
    "usage: deno run -A bench/subscriber_latency.ts [TICKS_PER_S (1..1000000)] [LABEL]",
  );
  Deno.exit(2);
}
const port = 19_000 + Math.floor(Math.random() * 1000), http = port + 1000;
const root = new URL("../", import.meta.url).pathname;
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    `${root}src/main.ts`,
    ...["--feed", "udp", "--listen", `127.0.0.1:${port}`, "--http", `127.0.0.1:${http}`],
    ...["--no-model", "--quiet"],
  ],
  stdout: "null",
  stderr: "null",
}).spawn();
await new Promise((r) => setTimeout(r, 2500));
const ws = new WebSocket(`ws://127.0.0.1:${http}/v1/stream`);
await new Promise((r) => ws.onopen = r);
const lat: number[] = [];
const nowNs = () => (performance.timeOrigin + performance.now()) * 1e6;
ws.onmessage = (e) => {
  const m = JSON.parse(e.data as string);
  if (m.type !== "trade") return;
  const [s, f = "0"] = m.time.slice(17, -1).split(".");
  const sent = Date.parse(m.time.slice(0, 17) + "00Z") * 1e6 + Number(s) * 1e9 +
    Number(f.padEnd(9, "0"));
  lat.push((nowNs() - sent) / 1000);
};
ws.send(JSON.stringify({ op: "subscribe", id: 1, channels: ["trades"], symbols: ["A0"] }));
await new Promise((r) => setTimeout(r, 300));
const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
const n = rate * 3, t0 = performance.now();
for (let k = 0; k < n; k++) {
  const due = t0 + (k / rate) * 1000;
  while (performance.now() < due - 1) await new Promise((r) => setTimeout(r, 0));
  const ns = BigInt(Math.round(nowNs()));
  const sec = Number(ns / 1_000_000_000n), nsec = Number(ns % 1_000_000_000n);
  const tick = { sec, nsec, symbol: `A${k % 8}`, kind: 1, price: 100, size: 1 };
  await sock.send(encodeFrame({ session: 1, firstSeq: k + 1, ticks: [tick] }), to);
}
await new Promise((r) => setTimeout(r, 500));
child.kill("SIGINT");
await child.status;
lat.sort((a, b) => a - b);
const q = (p: number) => lat[Math.floor(p * (lat.length - 1))]?.toFixed(0);
console.log(
  `${label} ${rate} ticks/s: ${lat.length}/${n / 8} trades, p50 ${q(0.5)} us, p90 ${q(0.9)}, ` +
    `p99 ${q(0.99)}, max ${q(1)}`,
);
Deno.exit(0);
