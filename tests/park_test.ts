/**
 * The parking handshake of ffi/include/ring_layout.h against the real C
 * producer: a consumer that parks in the kernel whenever the ring is empty
 * is woken by the producer for every record, never left asleep.
 */
import assert from "node:assert/strict";
import { createRing, RingConsumer } from "../src/ring/ring.ts";
import { NativeFeed } from "../src/native/feed.ts";
import { native } from "../src/native/lib.ts";

Deno.test("parking: 10^6 records at random gaps, each delivered within a bounded delay (no lost wake-up)", () => {
  const ring = createRing(1 << 20, 4096);
  const lib = native().symbols, bytes = new Uint8Array(ring), len = BigInt(ring.byteLength);
  const feed = NativeFeed.start("pattern", ring, {
    count: 1_000_000,
    min: 8,
    max: 64,
    batch: 1,
    gap_ns: 40_000, // one record in 16 is followed by a random pause below 40 us
    stall_ns: 60_000_000, // and one in 16384 by 60 ms, so a lost wake-up would show
  });
  const c = new RingConsumer(ring);
  let n = 0, maxDelay = 0, parks = 0, woken = 0;
  const check = (_b: Uint8Array, _off: number, _len: number, lo: number, hi: number) => {
    n++;
    const delay = lib.tw_now_ns() - (hi * 4294967296 + lo);
    if (delay > maxDelay) maxDelay = delay;
  };
  const TIMEOUT_NS = 3_000_000_000n;
  for (;;) {
    if (c.poll(check) > 0) continue;
    if (c.drained()) break;
    parks++; // park at once: as many park/publish races as possible
    if (lib.tw_ring_park(bytes, len, TIMEOUT_NS) === 0) woken++;
  }
  const stats = feed.stop();
  assert.equal(n, 1_000_000, "every record delivered");
  assert.equal(stats.pushed, 1_000_000);
  assert.ok(woken > 10_000, `the consumer parked and was woken ${woken} times (${parks} parks)`);
  // a record left asleep would wait out the next 60 ms stall (or the 3 s timeout)
  assert.ok(maxDelay < 40e6, `a record waited ${(maxDelay / 1e6).toFixed(1)} ms: a lost wake-up`);
});

Deno.test("parking: tw_ring_wake wakes a parked consumer; a closed ring never parks", () => {
  const ring = createRing(1 << 16, 1024);
  const lib = native().symbols, bytes = new Uint8Array(ring), len = BigInt(ring.byteLength);
  const t0 = performance.now();
  // nothing will be published: only the timeout ends this one
  assert.equal(lib.tw_ring_park(bytes, len, 50_000_000n), 0);
  assert.ok(performance.now() - t0 >= 40, "it waited");
  const feed = NativeFeed.start("pattern", ring, { count: 1, batch: 1 });
  while (feed.state() === 1) { /* producing */ }
  feed.stop(); // closes the ring
  assert.equal(lib.tw_ring_park(bytes, len, 5_000_000_000n), 1, "data or the end: no wait");
  assert.equal(lib.tw_ring_wake(bytes, len), 0);
  assert.equal(lib.tw_ring_park(new Uint8Array(100), 100n, 1n) < 0, true, "a bad ring is refused");
});
