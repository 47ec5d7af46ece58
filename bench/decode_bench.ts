/**
 * Decode and per-tick work: 200,000 synthetic ticks (12,500 frames) read
 * zero-copy from the SharedArrayBuffer ring by the pipeline's TickConsumer
 * (sequence check, symbol interning, counters), against the baseline a
 * Deno user would write: JSON.parse of the same ticks plus the same work
 * with a Map. Each iteration handles all 200,000 ticks. A second group adds
 * bars in four windows on both sides.
 * @module
 */
import { createRing, RingConsumer } from "../src/ring/ring.ts";
import { NativeFeed } from "../src/native/feed.ts";
import { TickConsumer } from "../src/pipeline/consumer.ts";
import { FrameReader, symbolName, tickPrice } from "../src/wire/frame.ts";
import { EventWriter } from "../src/pipeline/events.ts";
import { BarAggregator } from "../src/bars/aggregator.ts";

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
    for (let i = 0; i < offs.length; i++) consumer.onRecord(bytes, offs[i], lens[i], 0, 0, 0);
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

// ---- decode + bars in four windows, against JSON.parse + the obvious Map code ----

const WINDOWS = [1000, 60_000, 300_000, 3_600_000];
const eventRing = createRing(1 << 22, 4096);
const events = new EventWriter(eventRing);
const eventsIn = new RingConsumer(eventRing);
const bars = new BarAggregator(
  { windowsMs: WINDOWS, latenessMs: 0, alignOffsetMs: 0, fill: false, maxSymbols: 128 },
  events,
);
const withBars = new TickConsumer({ maxSymbols: 128, bars, events });
const noop = () => {};

Deno.bench({
  name: "zero-copy decode + bars in 4 windows (200k ticks)",
  group: "aggregate",
  fn() {
    withBars.seq.reset();
    bars.reset();
    for (let i = 0; i < offs.length; i++) withBars.onRecord(bytes, offs[i], lens[i], 0, 0, 0);
    events.flush();
    eventsIn.poll(noop);
  },
});

interface JsonBar {
  start: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
  pv: number;
}

Deno.bench({
  name: "JSON.parse + Map-of-objects bars in 4 windows (200k ticks)",
  group: "aggregate",
  baseline: true,
  fn() {
    const open = new Map<string, JsonBar>();
    const done: JsonBar[] = [];
    for (const s of json) {
      const f = JSON.parse(s);
      for (const t of f.ticks) {
        if (t.kind !== "trade") continue;
        const ms = Number(BigInt(t.ts) / 1_000_000n);
        for (const w of WINDOWS) {
          const start = Math.floor(ms / w) * w;
          const key = `${t.sym}|${w}`;
          let b = open.get(key);
          if (b && b.start !== start) {
            done.push(b);
            b = undefined;
          }
          if (!b) {
            open.set(key, {
              start,
              o: t.price,
              h: t.price,
              l: t.price,
              c: t.price,
              v: t.size,
              n: 1,
              pv: t.price * t.size,
            });
            continue;
          }
          b.h = Math.max(b.h, t.price);
          b.l = Math.min(b.l, t.price);
          b.c = t.price;
          b.v += t.size;
          b.n++;
          b.pv += t.price * t.size;
        }
      }
    }
    if (done.length < 0) throw new Error();
  },
});
