import assert from "node:assert/strict";
import { encodeFrame, type TickInput } from "../src/wire/encode.ts";
import {
  FrameError,
  FrameReader,
  packSymbol,
  symbolName,
  tickPrice,
  tickPrice2,
} from "../src/wire/frame.ts";
import { createRing, RingConsumer, RingProducer } from "../src/ring/ring.ts";
import { NativeFeed } from "../src/native/feed.ts";
import { gcProbe, ROOT } from "./helpers.ts";

const ticks: TickInput[] = [
  // nanosecond timestamps far past 2^53 ns since the epoch stay exact
  {
    sec: 1_750_000_000,
    nsec: 999_999_999,
    symbol: "AAPL",
    kind: 1,
    price: 5_801_200,
    size: 100,
    side: 1,
  },
  {
    sec: 1_750_000_001,
    nsec: 1,
    symbol: "BRK.A",
    kind: 1,
    price: 6_123_456_780_000,
    size: 1,
    side: 2,
  },
  {
    sec: 1_750_000_001,
    nsec: 2,
    symbol: "ZZZZZZZZ",
    kind: 2,
    price: 1_000_000,
    size: 300,
    price2: 1_000_100,
    size2: 500,
    label: 5,
  },
  { sec: 0, nsec: 0, symbol: "NEG", kind: 1, price: -25_000, size: 7, priceExp: -2 },
];

Deno.test("schema round trip: builder -> zero-copy reader, exact 64-bit values", () => {
  const session = 2 ** 40 + 12345, firstSeq = 2 ** 52 + 17;
  const bytes = encodeFrame({ session, firstSeq, ticks });
  const r = new FrameReader();
  assert.equal(r.open(bytes, 0, bytes.length), ticks.length);
  assert.equal(r.session(), session);
  assert.equal(r.firstSeq(), firstSeq);
  for (const [i, exp] of ticks.entries()) {
    const t = r.tick(i);
    assert.equal(t.tsSec(), exp.sec);
    assert.equal(t.tsNsec(), exp.nsec);
    assert.equal(symbolName(t.symbolLo(), t.symbolHi()), exp.symbol);
    assert.equal(tickPrice(t), exp.price);
    assert.equal(tickPrice2(t), exp.price2 ?? 0);
    assert.equal(t.size(), exp.size);
    assert.equal(t.size2(), exp.size2 ?? 0);
    assert.equal(t.kind(), exp.kind);
    assert.equal(t.side(), exp.side ?? 0);
    assert.equal(t.priceExp(), exp.priceExp ?? -4);
    assert.equal(t.label(), exp.label ?? 0);
  }
  assert.equal(r.tick(0), r.tick(1), "one reused tick view");
});

Deno.test("frames read in place from the ring, at any offset", () => {
  const ring = createRing(1 << 16, 4096);
  const p = new RingProducer(ring);
  const frames = [];
  for (let k = 0; k < 300; k++) {
    frames.push(encodeFrame({ session: 9, firstSeq: 1 + k * 4, ticks }));
    assert.ok(p.tryWrite(frames[k]));
    p.publish();
    const r = new FrameReader();
    let n = 0;
    new RingConsumer(ring).poll((bytes, off, len) => {
      assert.equal(bytes.buffer, ring, "no copy: the reader sees the SharedArrayBuffer itself");
      n = r.open(bytes, off, len);
      assert.equal(r.firstSeq(), 1 + k * 4);
      assert.equal(tickPrice(r.tick(1)), ticks[1].price);
    });
    assert.equal(n, ticks.length);
  }
});

Deno.test("C-built canonical frames decode with the generated readers", () => {
  const ring = createRing(1 << 20, 4096);
  const feed = NativeFeed.start("synth", ring, {
    count: 5000,
    rate: 0,
    seed: 11,
    batch: 32,
    anomalies: 0.01,
  });
  while (feed.state() === 1) { /* wait */ }
  const st = feed.stop();
  const r = new FrameReader();
  let ticksSeen = 0, expectedSeq = 1, labelled = 0;
  new RingConsumer(ring).poll((b, off, len) => {
    const n = r.open(b, off, len);
    assert.ok(n > 0, `frame refused: ${r.error}`);
    assert.equal(r.firstSeq(), expectedSeq);
    expectedSeq += n;
    for (let i = 0; i < n; i++) {
      const t = r.tick(i);
      assert.ok(t.kind() === 1 || t.kind() === 2);
      assert.ok(t.tsNsec() < 1e9);
      assert.equal(t.priceExp(), -4);
      if (t.label()) labelled++;
    }
    ticksSeen += n;
  });
  assert.equal(ticksSeen, st.ticks);
  assert.equal(ticksSeen, 5000);
  assert.ok(labelled > 0, "anomalies were injected and labelled");
});

Deno.test("malformed frames are refused with a reason, never read out of bounds", () => {
  const good = encodeFrame({ session: 1, firstSeq: 1, ticks });
  const r = new FrameReader();
  assert.equal(r.open(good, 0, 10), -1);
  assert.equal(r.error, FrameError.tooShort);
  const badId = good.slice();
  badId[4] = 0x58;
  assert.equal(r.open(badId, 0, badId.length), -1);
  assert.equal(r.error, FrameError.identifier);
  const lying = encodeFrame({ session: 1, firstSeq: 1, ticks, count: 99 });
  assert.equal(r.open(lying, 0, lying.length), -1);
  assert.equal(r.error, FrameError.count);
  // a vector length that runs past the frame
  const dv = new DataView(good.buffer.slice(0));
  const copy = new Uint8Array(dv.buffer);
  assert.equal(r.open(copy, 0, copy.length - 1), -1);
  assert.equal(r.error, FrameError.vector);
});

Deno.test("ByteView (behind every generated accessor) reads what the flatbuffers package reads, at every offset, over shared memory too", async () => {
  const flatbuffers = await import("flatbuffers");
  const { ByteView } = await import("../src/wire/byte_view.ts");
  const bytes = new Uint8Array(new SharedArrayBuffer(4096), 64, 1024);
  let seed = 11;
  for (let i = 0; i < bytes.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    bytes[i] = seed >>> 24;
  }
  const ref = new flatbuffers.ByteBuffer(bytes), fast = new ByteView(bytes);
  const reads = [
    "readInt8",
    "readUint8",
    "readInt16",
    "readUint16",
    "readInt32",
    "readUint32",
  ] as const;
  for (const m of reads) {
    const width = Number(m.match(/\d+/)![0]) / 8;
    for (let o = 0; o + width <= bytes.length; o++) {
      assert.equal(fast[m](o), ref[m](o), `${m}(${o})`);
    }
  }
});

Deno.test("symbols pack into 8 bytes and back", () => {
  for (const s of ["A", "AAPL", "BRK.A", "12345678"]) {
    const [lo, hi] = packSymbol(s);
    assert.equal(symbolName(lo, hi), s);
  }
  assert.throws(() => packSymbol("TOOLONGSYM"), RangeError);
  assert.throws(() => packSymbol(""), RangeError);
});

/** The allocation probe over the tick path (tests/fixtures/alloc_probe.ts). */
const probe = (mode: string) => gcProbe(`${ROOT}tests/fixtures/alloc_probe.ts`, mode);

Deno.test("decoding 10 million ticks from the ring allocates nothing (no GC at all)", async () => {
  const p = await probe("decode");
  assert.ok(p.ticks >= 10_000_000, `decoded ${p.ticks}`);
  // Young-generation collections are what allocation triggers; a full
  // collection may come from V8's own timers (memory reducer).
  assert.equal(p.scavenges, 0, "the per-tick decode path triggered garbage collections");
});

Deno.test("decode + bars in four windows: under one byte allocated per tick", async () => {
  // Bar closes (a few hundred per round, not per tick) may allocate a
  // little while those cold functions run unoptimised; a per-tick
  // allocation would be at least 8-16 bytes per tick.
  const p = await probe("pipeline");
  assert.ok(p.ticks >= 10_000_000);
  assert.ok(p.bars > 1000, `bars made: ${p.bars}`);
  assert.ok(p.bytesPerTick < 1, `${p.bytesPerTick.toFixed(3)} bytes per tick`);
  assert.ok(p.gcs <= 3, `${p.gcs} GCs`);
});

Deno.test("the whole per-tick path (decode, bars, anomaly rules, feature rows): under one byte per tick", async () => {
  const p = await probe("full");
  assert.ok(p.ticks >= 10_000_000);
  assert.ok(p.bytesPerTick < 1, `${p.bytesPerTick.toFixed(3)} bytes per tick`);
});

Deno.test("control: reading int64 prices as BigInt does allocate, and the probe sees it", async () => {
  const p = await probe("bigint");
  assert.ok(p.gcs > 0);
  assert.ok(p.bytesPerTick > 8, `${p.bytesPerTick.toFixed(1)} bytes per tick`);
});
