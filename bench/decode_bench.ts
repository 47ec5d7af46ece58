/**
 * Decode and per-tick work: 200,000 synthetic ticks (12,500 frames) read
 * zero-copy from the SharedArrayBuffer ring by the pipeline's TickConsumer
 * (sequence check, symbol interning, counters), against the baseline a
 * Deno user would write: JSON.parse of the same ticks plus the same work
 * with a Map. Each iteration handles all 200,000 ticks.
 * @module
 */
import { createRing, RingConsumer } from "../src/ring/ring.ts";
import { NativeFeed } from "../src/native/feed.ts";
import { TickConsumer } from "../src/pipeline/consumer.ts";
import { FrameReader, symbolName, tickPrice } from "../src/wire/frame.ts";

const ring = createRing(1 << 24, 4096);
const feed = NativeFeed.start("synth", ring, { count: 200_000, rate: 0, seed: 5, symbols: 64 });
while (feed.state() === 1) { /* generating */ }
feed.stop();
const offs: number[] = [], lens: number[] = [];
const rc = new RingConsumer(ring);
rc.poll((_b, off, len) => {
  offs.push(off);
  lens.push(len);
});
const bytes = rc.bytes;

// The same ticks as JSON datagrams, one per frame.
const r = new FrameReader();
const json: string[] = offs.map((off, i) => {
  const n = r.open(bytes, off, lens[i]);
  const ticks = [];
  for (let k = 0; k < n; k++) {
    const t = r.tick(k);
    ticks.push({
      sym: symbolName(t.symbolLo(), t.symbolHi()),
      ts: `${t.tsSec()}${String(t.tsNsec()).padStart(9, "0")}`,
      kind: t.kind() === 1 ? "trade" : "quote",
      price: tickPrice(t),
      size: t.size(),
    });
  }
  return JSON.stringify({ session: r.session(), seq: r.firstSeq(), ticks });
});

const consumer = new TickConsumer({ maxSymbols: 128 });
Deno.bench({
  name: "FlatBuffers zero-copy from the ring (200k ticks)",
  group: "decode",
  fn() {
    consumer.seq.reset();
    for (let i = 0; i < offs.length; i++) consumer.onRecord(bytes, offs[i], lens[i], 0, 0);
  },
});

Deno.bench({
  name: "JSON.parse of the same ticks (200k ticks)",
  group: "decode",
  baseline: true,
  fn() {
    const last = new Map<string, number>();
    let trades = 0, volume = 0;
    for (const s of json) {
      const f = JSON.parse(s);
      for (const t of f.ticks) {
        if (t.kind === "trade") {
          trades++;
          volume += t.size;
          last.set(t.sym, t.price);
        }
      }
    }
    if (trades < 0 || volume < 0) throw new Error();
  },
});
