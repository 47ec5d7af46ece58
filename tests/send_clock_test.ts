/**
 * `deno task feed --stamp-send`: the publisher's schedule. A tick's stamp is
 * its intended send time, so a frame must never leave before it (that would
 * hide latency), and the publisher reports how late its frames left.
 */
import assert from "node:assert/strict";
import { deno, lastJson } from "./helpers.ts";
import { FrameReader } from "../src/wire/frame.ts";

Deno.test("feed --stamp-send: no frame arrives before its stamp; lateness is reported", async () => {
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (sock.addr as Deno.NetAddr).port;
  const early: number[] = [];
  let frames = 0, ticks = 0;
  const reader = new FrameReader();
  const receiving = (async () => {
    for await (const [data] of sock) {
      const arrivedNs = (performance.timeOrigin + performance.now()) * 1e6;
      const n = reader.open(data, 0, data.length);
      if (n <= 0) continue; // the end-of-session frames carry no ticks
      frames++;
      ticks += n;
      const t = reader.tick(0);
      const stampNs = t.tsSec() * 1e9 + t.tsNsec();
      if (arrivedNs < stampNs) early.push(stampNs - arrivedNs);
    }
  })();
  const r = await deno("src/tools/feed.ts", [
    ...["--to", `127.0.0.1:${port}`, "--stamp-send", "--rate", "40000"],
    ...["--count", "40000", "--batch", "16", "--quiet"],
  ]);
  assert.equal(r.code, 0, r.stderr);
  await new Promise((res) => setTimeout(res, 200));
  sock.close();
  await receiving.catch(() => {});
  const s = lastJson<{ ticks: number; frames: number; send_lag_ns: Record<string, number> }>(r);
  assert.equal(ticks, 40_000, "every tick arrived (loopback)");
  assert.equal(frames, 2_500);
  // both clocks are CLOCK_REALTIME as timeOrigin + now(); 50 µs covers their rounding
  assert.ok(
    early.every((ns) => ns < 50_000),
    `frames left before their stamp: ${early.length}, by up to ${Math.max(...early)} ns`,
  );
  assert.equal(s.send_lag_ns.count, 2_500, "one lateness sample per frame");
  assert.ok(s.send_lag_ns.p50 <= s.send_lag_ns.p99 && s.send_lag_ns.p99 <= s.send_lag_ns.max);
});

Deno.test("feed: publishing to a port nobody listens on finishes and counts every frame", async () => {
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (sock.addr as Deno.NetAddr).port;
  sock.close(); // now closed: the kernel answers with ICMP port unreachable
  const r = await deno("src/tools/feed.ts", [
    ...["--to", `127.0.0.1:${port}`, "--rate", "0", "--count", "20000", "--quiet"],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const s = lastJson<{ ticks: number; frames: number }>(r);
  assert.equal(s.ticks, 20_000);
});

Deno.test("feed: a missing libtickwire is one clear line, not a stack trace", async () => {
  const r = await deno("src/tools/feed.ts", ["--to", "127.0.0.1:9", "--count", "10"], {
    env: { TICKWIRE_LIB: "/nonexistent/libtickwire.so" },
  });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^feed: libtickwire not found at \/nonexistent\/libtickwire\.so: build it/,
  );
  assert.doesNotMatch(r.stderr, /Uncaught|at file:/);
});
