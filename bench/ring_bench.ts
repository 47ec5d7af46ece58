/**
 * Ring throughput: 100,000 messages of 64 bytes handed from another thread
 * to the TypeScript main thread, (a) through the SharedArrayBuffer SPSC
 * ring from a C producer thread, (b) through the same ring from a
 * TypeScript Worker, (c) the baseline: Worker postMessage of the same
 * messages. Each iteration moves all 100,000 messages; `deno bench` reports
 * the time per iteration and the ratio against the baseline.
 * @module
 */
import { createRing, RingConsumer } from "../src/ring/ring.ts";
import { NativeFeed } from "../src/native/feed.ts";

const COUNT = 100_000, SIZE = 64;

Deno.bench({
  name: "C thread -> SAB ring -> TS (100k x 64 B)",
  group: "ring",
  fn() {
    const ring = createRing(1 << 20, 1024);
    const feed = NativeFeed.start("pattern", ring, {
      count: COUNT,
      min: SIZE,
      max: SIZE,
      policy: "block",
      idle: "yield",
    });
    const c = new RingConsumer(ring);
    let n = 0, sum = 0;
    const h = (b: Uint8Array, off: number) => {
      sum += b[off];
    };
    while (!c.drained()) n += c.poll(h);
    feed.stop();
    if (n !== COUNT || sum < 0) throw new Error(`got ${n}`);
  },
});

const producerUrl = new URL("../tests/fixtures/ring_producer_worker.ts", import.meta.url).href;

Deno.bench({
  name: "TS Worker -> SAB ring -> TS (100k x 64 B)",
  group: "ring",
  async fn() {
    const ring = createRing(1 << 20, 1024);
    const w = new Worker(producerUrl, { type: "module" });
    const done = new Promise((r) => (w.onmessage = r));
    w.postMessage({ ring, count: COUNT, maxLen: SIZE });
    const c = new RingConsumer(ring);
    let n = 0;
    const h = () => {};
    while (!c.drained()) {
      const k = c.poll(h);
      n += k;
      if (k === 0) await Promise.resolve();
    }
    await done;
    w.terminate();
    if (n < COUNT) throw new Error(`got ${n}`);
  },
});

const postUrl = new URL("./fixtures/post_worker.ts", import.meta.url).href;

Deno.bench({
  name: "TS Worker -> postMessage -> TS (100k x 64 B)",
  group: "ring",
  baseline: true,
  async fn() {
    const w = new Worker(postUrl, { type: "module" });
    let n = 0, sum = 0;
    await new Promise<void>((resolve) => {
      w.onmessage = (e: MessageEvent<Uint8Array | null>) => {
        if (e.data === null) return resolve();
        sum += e.data[0];
        n++;
      };
      w.postMessage({ count: COUNT, size: SIZE });
    });
    w.terminate();
    if (n !== COUNT || sum < 0) throw new Error(`got ${n}`);
  },
});
