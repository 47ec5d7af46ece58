import assert from "node:assert/strict";
import { encodeFrame, type TickInput } from "../src/wire/encode.ts";
import { FrameReader } from "../src/wire/frame.ts";
import { TickConsumer } from "../src/pipeline/consumer.ts";
import { C } from "../src/pipeline/counters.ts";
import { udpPacket } from "../src/net/pcap.ts";
import { hasDpdk } from "../src/native/lib.ts";
import { lastJson, rng, tempDir, tickwire } from "./helpers.ts";

function baseFrames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let n = 0; n < 20; n++) {
    const ticks: TickInput[] = [];
    for (let i = 0; i < n; i++) {
      ticks.push({
        sec: 1e9 + i,
        nsec: i * 7,
        symbol: `S${i % 5}`,
        kind: 1 + (i % 2),
        price: 1000 + i,
        size: i + 1,
      });
    }
    out.push(encodeFrame({ session: 77, firstSeq: 1 + n * 100, ticks }));
  }
  return out;
}

function mutate(b: Uint8Array, r: () => number): Uint8Array {
  const kind = Math.floor(r() * 5);
  let m: Uint8Array;
  if (kind === 0) m = b.slice(0, Math.floor(r() * b.length)); // truncate
  else if (kind === 1) { // extend with garbage
    m = new Uint8Array(b.length + 1 + Math.floor(r() * 64));
    m.set(b);
    for (let i = b.length; i < m.length; i++) m[i] = Math.floor(r() * 256);
  } else if (kind === 2) m = crypto.getRandomValues(new Uint8Array(Math.floor(r() * 300))); // noise
  else { // flip 1..8 bytes, often in the header where offsets live
    m = b.slice();
    const flips = 1 + Math.floor(r() * 8);
    for (let i = 0; i < flips && m.length; i++) {
      const at = r() < 0.6 ? Math.floor(r() * Math.min(60, m.length)) : Math.floor(r() * m.length);
      m[at] = Math.floor(r() * 256);
    }
  }
  return m;
}

Deno.test("fuzz: 100,000 mutated frames never crash the decoder or read outside their record", () => {
  const r = rng(12345);
  const bases = baseFrames();
  const consumer = new TickConsumer({ maxSymbols: 64 });
  const reader = new FrameReader();
  let valid = 0, ticksInValid = 0;
  for (let i = 0; i < 100_000; i++) {
    const m = mutate(bases[i % bases.length], r);
    // Each frame sits alone in an exactly-sized buffer: a read past its end
    // would throw a RangeError from DataView and fail the test.
    const n = reader.open(m, 0, m.length);
    if (n >= 0) {
      valid++;
      ticksInValid += n;
      for (let k = 0; k < n; k++) reader.tick(k).size();
    }
    consumer.seq.reset();
    consumer.onRecord(m, 0, m.length, 0, 0, 0);
  }
  const c = consumer.counters;
  assert.equal(c[C.records], 100_000);
  assert.equal(
    c[C.frames] + c[C.malformed],
    100_000,
    "every record is a frame or a counted malformed one",
  );
  assert.equal(c[C.frames], valid);
  assert.ok(c[C.malformed] > 50_000, "most mutations are caught");
  assert.ok(c[C.ticks] + c[C.symbolOverflow] <= ticksInValid);
});

Deno.test("fuzz: 100,000 mutated Ethernet packets through the C parser (pcap and DPDK) are all accounted", async () => {
  await using t = await tempDir();
  const r = rng(777);
  const bases = baseFrames().map((f, i) =>
    udpPacket(f, { dstPort: 5555, vlan: i % 3 === 0 ? 9 : undefined })
  );
  const chunks: Uint8Array[] = [];
  const hdr = new Uint8Array(24);
  const dv = new DataView(hdr.buffer);
  dv.setUint32(0, 0xa1b23c4d, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true);
  dv.setUint32(20, 1, true);
  chunks.push(hdr);
  const count = 100_000;
  for (let i = 0; i < count; i++) {
    let p = mutate(bases[i % bases.length], r);
    if (p.length === 0) p = new Uint8Array(1);
    const rec = new Uint8Array(16);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, 1, true);
    rv.setUint32(4, i, true);
    rv.setUint32(8, p.length, true);
    rv.setUint32(12, p.length, true);
    chunks.push(rec, p);
  }
  const cap = `${t.dir}/fuzz.pcap`;
  const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  await Deno.writeFile(cap, all);
  type J = Record<string, number> & { feed_stats: Record<string, number> };
  const check = (s: J) => {
    const fs = s.feed_stats;
    assert.equal(fs.packets, count);
    assert.equal(
      fs.pushed + fs.non_udp + fs.other_port + s.malformed_packets + s.ring_drops,
      count,
    );
    assert.equal(s.frames + s.malformed_frames, fs.pushed);
    assert.ok(s.malformed_packets > 0 && s.malformed_frames > 0 && s.frames > 0);
  };
  const run = await tickwire([
    "--feed",
    "pcap",
    "--pcap",
    cap,
    "--udp-port",
    "5555",
    "--exit-on-eof",
    "--quiet",
    "--policy",
    "block",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const viaPcap = lastJson<J>(run);
  check(viaPcap);
  if (hasDpdk()) {
    const d = await tickwire([
      "--feed",
      "dpdk",
      "--eal",
      `--no-huge --no-pci --no-shconf -m 512 --vdev=net_pcap0,rx_pcap=${cap}`,
      "--udp-port",
      "5555",
      "--policy",
      "block",
      "--exit-on-eof",
      "--quiet",
    ]);
    assert.equal(d.code, 0, d.stderr);
    const viaDpdk = lastJson<J>(d);
    check(viaDpdk);
    assert.equal(viaDpdk.checksum, viaPcap.checksum, "both receive paths agree on what was valid");
  }
});

Deno.test("fuzz: 100,000 mutated MoldUDP64/ITCH packets through the ITCH stage and the consumer are all accounted", async () => {
  const { lobsterToItch } = await import("../src/feeds/itch/from_lobster.ts");
  const { moldPackets, sessionName } = await import("../src/feeds/itch/capture.ts");
  const { readLobsterRows } = await import("../src/feeds/lobster.ts");
  const { ItchStage } = await import("../src/feeds/itch/stage.ts");
  const { SRC_LINE_SHIFT } = await import("../src/ring/layout.ts");
  const { lobsterFile } = await import("./helpers.ts");
  const rows = await readLobsterRows(lobsterFile("AMZN"));
  const bases = moldPackets(
    lobsterToItch(rows, "AMZN").messages,
    sessionName("AMZN", "2012-06-21"),
    "2012-06-21",
  ).slice(0, 2000).map((p) => p.bytes);
  const r = rng(4242);
  for (const fill of [undefined, { waitMs: 1, holdPackets: 64 }]) {
    const consumer = new TickConsumer({ maxSymbols: 64 });
    const stage = new ItchStage(
      { date: "2012-06-21", check: true, maxOrders: 10_000, lines: fill ? 2 : 1, fill },
      consumer.onRecord,
    );
    for (let i = 0; i < 100_000; i++) {
      // mostly real packets in order (so books and the sequence build up), a third mutated
      const base = bases[i % bases.length];
      const m = r() < 0.35 ? mutate(base, r) : base.slice();
      // each packet alone in an exactly-sized buffer: a read past its end would throw
      stage.onRecord(m, 0, m.length, 0, 0, fill ? (i & 1) << SRC_LINE_SHIFT : 0);
    }
    stage.finish();
    const s = stage.summary();
    assert.equal(s.packets, 100_000, "every packet counted");
    // a packet arrives on its line, or is too short to have a header, or is an unconfirmed jump
    const arrivals = s.lines.reduce((n, l) => n + l.arrivals, 0);
    assert.ok(arrivals <= s.packets);
    assert.ok(arrivals + s.malformed_packets + s.sequence_jumps >= s.packets, "all accounted");
    assert.ok(s.malformed_packets > 0 && s.short_messages + s.unknown_types > 0, "damage is seen");
    assert.ok(s.messages > 0 && s.trades > 0, "real packets still go through");
    assert.equal(stage.filling, false, "no gap left open after finish");
    const c = consumer.counters;
    assert.equal(c[C.malformed], 0, "every frame the stage writes is well formed");
  }
});
