import assert from "node:assert/strict";
import { createRing, RingConsumer, ringCounters, RingProducer } from "../src/ring/ring.ts";
import { FeedState, NativeFeed } from "../src/native/feed.ts";

/**
 * Consumes pattern records (byte j of record r = (r*131 + j*7 + seed) &
 * 0xff, sizes cycling min..max) until the ring is closed and drained,
 * checking every byte; returns [records, checksum].
 */
function drainPattern(
  ring: SharedArrayBuffer,
  min: number,
  max: number,
  seed = 0,
  deadlineMs = 120_000,
) {
  const c = new RingConsumer(ring);
  let r = 0, sum = 0, len = min, bad = 0;
  const t0 = performance.now();
  const check = (bytes: Uint8Array, off: number, n: number) => {
    if (n !== len) bad++;
    let v = (r * 131 + seed) >>> 0;
    for (let j = 0; j < n; j++, v += 7) {
      const b = bytes[off + j];
      if (b !== (v & 255)) bad++;
      sum += b;
    }
    sum += n;
    r++;
    len = len === max ? min : len + 1;
  };
  while (!c.drained()) {
    if (c.poll(check) === 0 && performance.now() - t0 > deadlineMs) throw new Error("ring stalled");
  }
  return { records: r, sum, bad };
}

Deno.test("C producer thread -> TS consumer: 2 million records with every byte checked", () => {
  const ring = createRing(1 << 20, 4096);
  const count = 2_000_000;
  const feed = NativeFeed.start("pattern", ring, {
    count,
    min: 1,
    max: 64,
    policy: "block",
    idle: "yield",
  });
  const got = drainPattern(ring, 1, 64);
  const st = feed.stop();
  assert.equal(got.bad, 0, "every byte and length as produced");
  assert.equal(got.records, count);
  assert.equal(st.pushed, count);
  assert.equal(st.ringDrops, 0);
  assert.equal(got.sum, st.checksum, "consumer checksum equals producer checksum");
});

Deno.test("every record size from 1 to the maximum, wrapping many times", () => {
  const max = 9216;
  const ring = createRing(1 << 16, max); // 64 KiB: wraps about 650 times
  const feed = NativeFeed.start("pattern", ring, {
    count: max,
    min: 1,
    max,
    seed: 5,
    policy: "block",
  });
  const got = drainPattern(ring, 1, max, 5);
  const st = feed.stop();
  assert.equal(got.bad, 0);
  assert.equal(got.records, max);
  assert.equal(got.sum, st.checksum);
});

Deno.test("full ring: the producer drops and counts, never blocks; offered = pushed + dropped", () => {
  const ring = createRing(4096, 256);
  // Nobody consumes: the ring fills, the rest is dropped and counted.
  const feed = NativeFeed.start("pattern", ring, {
    count: 10_000,
    min: 100,
    max: 100,
    policy: "drop",
  });
  const t0 = Date.now();
  while (feed.state() === FeedState.running && Date.now() - t0 < 10_000) { /* wait */ }
  const st = feed.stop();
  assert.equal(st.offered, 10_000);
  assert.ok(st.ringDrops > 0, "some records were dropped");
  assert.equal(st.pushed + st.ringDrops, st.offered);
  assert.equal(ringCounters(ring).drops, st.ringDrops, "ring header counts the same drops");
  // What was pushed is intact and complete.
  const c = new RingConsumer(ring);
  let n = 0;
  c.poll((_b, _o, len) => {
    assert.equal(len, 100);
    n++;
  });
  assert.equal(n, st.pushed);
  assert.equal(c.poll(() => {}), 0, "empty ring yields nothing");
  assert.ok(c.drained());
});

Deno.test("block policy: a slow consumer loses nothing", async () => {
  const ring = createRing(4096, 512);
  const feed = NativeFeed.start("pattern", ring, {
    count: 20_000,
    min: 1,
    max: 512,
    policy: "block",
  });
  const c = new RingConsumer(ring);
  let n = 0;
  while (!c.drained()) {
    n += c.poll(() => {}, 3);
    if (n % 1000 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  const st = feed.stop();
  assert.equal(n, 20_000);
  assert.equal(st.ringDrops, 0);
});

Deno.test("TS producer in a Worker -> TS consumer on the main thread", async () => {
  const ring = createRing(1 << 16, 1024);
  const w = new Worker(new URL("./fixtures/ring_producer_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const done = new Promise((r) => (w.onmessage = r));
  const count = 300_000;
  w.postMessage({ ring, count, maxLen: 200 });
  const c = new RingConsumer(ring);
  let got = { records: 0, sum: 0, bad: 0 };
  // Poll cooperatively so the worker's completion message can arrive.
  let r = 0, len = 1;
  const t0 = performance.now();
  while (!c.drained()) {
    c.poll((bytes, off, n) => {
      if (n !== len) got.bad++;
      let v = (r * 131) >>> 0;
      for (let j = 0; j < n; j++, v += 7) if (bytes[off + j] !== (v & 255)) got.bad++;
      r++;
      len = len === 200 ? 1 : len + 1;
    });
    if (performance.now() - t0 > 60_000) throw new Error("stalled");
    await new Promise((res) => setTimeout(res, 0));
  }
  got = { ...got, records: r };
  await done;
  w.terminate();
  assert.equal(got.bad, 0);
  assert.equal(got.records, count);
});

Deno.test("TS producer: reserve waits on a full ring until the consumer makes room, then times out", async () => {
  const ring = createRing(1 << 12, 1024), flag = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(new URL("./fixtures/ring_producer_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const msgs: unknown[] = [];
  const result = new Promise<{ at: number; drainedFirst: number; none: number }>((done) => {
    w.onmessage = (e) => {
      msgs.push(e.data);
      if (e.data !== "full") return done(e.data);
      Atomics.store(flag, 0, 1); // before the room: reserve must not return earlier
      new RingConsumer(ring).poll(() => {});
    };
  });
  w.postMessage({ ring, count: 0, maxLen: 1, flag });
  const r = await result;
  w.terminate();
  assert.deepEqual(msgs[0], "full");
  assert.ok(r.at >= 0, "room came");
  assert.equal(r.drainedFirst, 1, "it waited for the consumer");
  assert.equal(r.none, -1, "no consumer: -1 after the timeout");
});

Deno.test("TS producer: full and empty, wrap padding, publish batches", () => {
  const ring = createRing(4096, 1024);
  const p = new RingProducer(ring);
  const c = new RingConsumer(ring);
  assert.equal(c.poll(() => {}), 0);
  const rec = new Uint8Array(1000).fill(7);
  let ok = 0;
  while (p.tryWrite(rec)) ok++;
  assert.equal(ok, 4, "4096 bytes hold four 1016-byte records");
  assert.equal(p.dropped, 1);
  assert.equal(c.poll(() => {}), 0, "nothing visible before publish");
  p.publish();
  let n = 0;
  c.poll((b, off, len) => {
    assert.equal(len, 1000);
    assert.equal(b[off + 999], 7);
    n++;
  });
  assert.equal(n, 4);
  // Now the write position is at 4064: a 100-byte record must wrap (pad).
  for (let i = 0; i < 50; i++) {
    assert.ok(p.tryWrite(new Uint8Array(100).fill(i)));
    p.publish();
    let seen = -1;
    c.poll((b, off) => (seen = b[off]));
    assert.equal(seen, i);
  }
  assert.equal(ringCounters(ring).drops, 1);
});
