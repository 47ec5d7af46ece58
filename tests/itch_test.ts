/**
 * Nasdaq TotalView-ITCH 5.0 over MoldUDP64 (--protocol itch): the parts
 * (order table, sequencing, frames the stage writes, time conversion), real
 * captures against tshark's independent MoldUDP64 dissector, full LOBSTER
 * days replayed through DPDK whose best bid/offer equals an independent
 * book at every timestamp, gaps that mark the books stale, and the
 * allocation probe over a full day.
 */
import assert from "node:assert/strict";
import { OrderTable } from "../src/feeds/itch/orders.ts";
import { MoldResult, MoldSequencer } from "../src/feeds/itch/mold.ts";
import { moldPacket, orderDelete } from "../src/feeds/itch/encode.ts";
import { ItchClock } from "../src/feeds/itch/clock.ts";
import { FrameWriter } from "../src/wire/frame_writer.ts";
import { FrameReader, packSymbol, tickPrice, tickPrice2 } from "../src/wire/frame.ts";
import { nyMidnightUtc, readLobsterRows } from "../src/feeds/lobster.ts";
import { hasDpdk } from "../src/native/lib.ts";
import { type Bbo, referenceBbo } from "./lobster_book.ts";
import {
  deno,
  findTool,
  gcProbe,
  importLobster,
  lastJson,
  lobsterFile,
  rng,
  ROOT,
  SHARED,
  startUdpTickwire,
  tempDir,
  tickwire,
} from "./helpers.ts";

/** References as feeds make them: scattered, rising one by one, or 2^14 apart (one home slot). */
const REF_PATTERNS: [string, (ref: number) => [number, number]][] = [
  ["scattered", (ref) => [Math.floor(ref / 7), (ref * 2654435761) >>> 0]],
  ["sequential", (ref) => [0, 1_000_000 + ref]],
  ["strided", (ref) => [0, (ref * 16384) >>> 0]],
];

for (const [name, refOf] of REF_PATTERNS) {
  Deno.test(`order table (${name} references): a million inserts, finds and deletes agree with a Map`, () => {
    orderTableAgainstMap(refOf);
  });
}

function orderTableAgainstMap(refOf: (ref: number) => [number, number]): void {
  const t = new OrderTable(5000), m = new Map<number, number>(), r = rng(7);
  for (let i = 0; i < 1_000_000; i++) {
    const ref = Math.floor(r() * 20000), [hi, lo] = refOf(ref);
    const key = hi * 4294967296 + lo, slot = t.find(hi, lo);
    assert.equal(slot >= 0, m.has(key));
    if (slot >= 0) {
      assert.equal(t.shares(slot), m.get(key));
      if (r() < 0.6) {
        t.remove(slot);
        m.delete(key);
      }
    } else if (m.size < 5000) {
      const shares = 1 + Math.floor(r() * 1000);
      assert.ok(t.insert(hi, lo, 3, 0x42, shares, 100) >= 0);
      m.set(key, shares);
    }
    assert.equal(t.size, m.size);
  }
  for (const [key, shares] of m) {
    const s = t.find(Math.floor(key / 4294967296), key % 4294967296);
    assert.equal(t.shares(s), shares);
  }
}

Deno.test("order table: the probed part doubles as orders arrive and keeps every order", () => {
  const t = new OrderTable(100_000);
  for (let i = 0; i < 100_000; i++) {
    assert.ok(t.insert(i >>> 12, i * 7919, i & 0xffff, 0x53, i + 1, i) >= 0);
  }
  assert.equal(t.size, 100_000);
  assert.equal(t.grown, 6); // 4,096 slots to 262,144
  for (let i = 0; i < 100_000; i++) {
    const s = t.find(i >>> 12, i * 7919);
    assert.ok(s >= 0);
    assert.deepEqual([t.shares(s), t.price(s), t.locate(s), t.side(s)], [
      i + 1,
      i,
      i & 0xffff,
      0x53,
    ]);
  }
  t.clear();
  assert.equal(t.find(0, 0), -1);
  assert.equal(t.size, 0);
});

Deno.test("order table: past capacity inserts are refused and counted", () => {
  const t = new OrderTable(2);
  assert.ok(t.insert(0, 1, 1, 0x42, 1, 1) >= 0);
  assert.ok(t.insert(0, 2, 1, 0x42, 1, 1) >= 0);
  assert.equal(t.insert(0, 3, 1, 0x42, 1, 1), -1);
  assert.equal(t.overflow, 1);
});

Deno.test("MoldUDP64 sequencing: in order, gap, repeat, overlap, heartbeat, end of session", () => {
  const s = new MoldSequencer(true), d = orderDelete({ locate: 1, ts: 0, ref: 1 });
  const pkt = (seq: number, n: number, end = false) =>
    new DataView(moldPacket("SESSION001", seq, Array(n).fill(d), end).buffer);
  assert.equal(s.onPacket(pkt(1, 3), 0), MoldResult.fresh);
  assert.equal(s.onPacket(pkt(7, 2), 0), MoldResult.gap);
  assert.deepEqual([s.gapFirst, s.gapLast, s.missing], [4, 6, 3]);
  assert.equal(s.onPacket(pkt(7, 2), 0), MoldResult.duplicate);
  assert.equal(s.onPacket(pkt(8, 3), 0), MoldResult.fresh);
  assert.equal(s.skip, 1, "the overlapping packet's first message was applied before");
  assert.equal(s.onPacket(pkt(11, 0), 0), MoldResult.fresh, "a heartbeat at the next sequence");
  assert.equal(s.onPacket(pkt(13, 0), 0), MoldResult.gap, "a heartbeat ahead reveals a gap");
  assert.equal(s.onPacket(pkt(13, 0, true), 0), MoldResult.end);
  assert.equal(new MoldSequencer(false).onPacket(pkt(0, 1), 0), MoldResult.fresh);
});

Deno.test("frames written in place open with the frame reader, values exact", () => {
  const w = new FrameWriter(4), r = new FrameReader();
  const [lo, hi] = packSymbol("GOOG");
  w.begin(1, 2 ** 40);
  w.tick(new Float64Array([1_340_285_400, 999_999_999]), lo, hi, 2, 0, 5_853_300, 18, 2 ** 33, 7);
  w.tick(new Float64Array([1_340_285_401, 1]), lo, hi, 1, 2, 1, 4_000_000_000, 0, 0);
  const n = r.open(w.bytes, 0, w.end());
  assert.equal(n, 2);
  assert.equal(r.firstSeq(), 2 ** 40);
  const t0 = r.tick(0);
  assert.deepEqual(
    [t0.tsSec(), t0.tsNsec(), tickPrice(t0), t0.size(), tickPrice2(t0), t0.size2()],
    [
      1_340_285_400,
      999_999_999,
      5_853_300,
      18,
      2 ** 33,
      7,
    ],
  );
  const t1 = r.tick(1);
  assert.deepEqual([t1.kind(), t1.side(), t1.size(), t1.priceExp()], [1, 2, 4_000_000_000, -4]);
});

Deno.test("ITCH times: New York midnight, daylight saving on the days it changes", () => {
  const c = new ItchClock("2012-06-21");
  c.set(34_200_004_241_176); // 09:30:00.004241176 EDT
  assert.deepEqual([...c.utc], [Date.UTC(2012, 5, 21, 13, 30) / 1000, 4_241_176]);
  const spring = new ItchClock("2012-03-11"); // EST until 02:00, then EDT
  spring.set(3600e9);
  assert.equal(spring.utc[0], Date.UTC(2012, 2, 11, 6) / 1000, "01:00 EST");
  spring.set(10 * 3600e9);
  assert.equal(spring.utc[0], Date.UTC(2012, 2, 11, 14) / 1000, "10:00 EDT");
  // the second is kept between calls: within it, backwards and across it, still exact
  const t10 = Date.UTC(2012, 5, 21, 14) / 1000;
  for (
    const [ts, sec, ns] of [
      [36_000_500_000_000, 0, 5e8],
      [36_000_999_999_999, 0, 999_999_999],
      [35_999_000_000_001, -1, 1],
      [36_001_000_000_000, 1, 0],
      [36_000_000_000_000, 0, 0],
    ]
  ) {
    c.set(ts);
    assert.deepEqual([...c.utc], [t10 + sec, ns], `${ts}`);
  }
});

Deno.test("ITCH quotes: an unchanged BBO is not sent again, until a reset forgets what was sent", async () => {
  const { ItchTicks } = await import("../src/feeds/itch/ticks_out.ts");
  const { ItchStats } = await import("../src/feeds/itch/stats.ts");
  const { Books } = await import("../src/feeds/itch/book.ts");
  const out = new ItchTicks("2012-06-21", () => {}, new ItchStats()), books = new Books();
  out.symLo[7] = packSymbol("AAPL")[0];
  books.add(7, 0x42, 5_850_000, 100);
  const quote = () => {
    out.begin(0, 0, new DataView(new ArrayBuffer(64)));
    out.quoteIfChanged(7, books.book(7)!);
    out.flush();
    return out.ticksOut;
  };
  assert.deepEqual([quote(), quote()], [1, 1]);
  out.reset();
  assert.equal(quote(), 2);
});

// ---- real captures against tshark ----

const TSHARK = findTool("tshark", "tshark");
const NASDAQ = `${SHARED}market-data-pcaps-omi/Nasdaq/`;
const FOLDERS = [
  // original headers: real sequence numbers, destination port 26477
  { dir: "Nasdaq.Equities.TotalView.Itch.v5.0", port: 26477, args: [] as string[] },
  // ports, session and sequence zeroed by the publisher
  {
    dir: "Nasdaq.Equities.TotalView.Itch.v5.0.20230822",
    port: 0,
    args: ["--mold-sequence", "off"],
  },
];

/**
 * A copy of a capture whose UDP ports were zeroed, with destination port
 * `port` written back: tshark will not decode port 0 as anything. Only the
 * port bytes change (the checksum is zero, i.e. not used).
 */
async function withPort(pcap: string, port: number, dir: string): Promise<string> {
  const b = await Deno.readFile(pcap), dv = new DataView(b.buffer);
  for (let at = 24; at + 16 <= b.length; at += 16 + dv.getUint32(at + 8, true)) {
    let l3 = at + 16 + 14;
    while (dv.getUint16(l3 - 2) === 0x8100) l3 += 4;
    dv.setUint16(l3 + (b[l3] & 15) * 4 + 2, port);
  }
  const out = `${dir}/${pcap.split("/").pop()}`;
  await Deno.writeFile(out, b);
  return out;
}

/** Per-type message counts by tshark's MoldUDP64 dissector (first byte of each message). */
async function tsharkCounts(pcap: string, port: number): Promise<Record<string, number>> {
  const out = await new Deno.Command(TSHARK!, {
    args: [
      "-r",
      pcap,
      "-d",
      `udp.port==${port},moldudp64`,
      "-T",
      "fields",
      "-e",
      "moldudp64.msgdata",
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(out.success, `tshark failed on ${pcap}`);
  const counts: Record<string, number> = {};
  for (const hex of new TextDecoder().decode(out.stdout).split(/[\n,]/)) {
    if (hex.trim() === "") continue;
    const t = String.fromCharCode(parseInt(hex.slice(0, 2), 16));
    counts[t] = (counts[t] ?? 0) + 1;
  }
  return counts;
}

for (const f of FOLDERS) {
  Deno.test({
    name: `real Nasdaq captures (${f.dir}): zero malformed, per-type counts equal tshark's`,
    ignore: TSHARK === undefined,
    async fn() {
      let files = 0;
      for (const e of Deno.readDirSync(`${NASDAQ}${f.dir}`)) {
        if (!e.name.endsWith(".pcap")) continue;
        files++;
        const pcap = `${NASDAQ}${f.dir}/${e.name}`;
        const run = await tickwire([
          "--feed",
          "pcap",
          "--pcap",
          pcap,
          "--protocol",
          "itch",
          ...f.args,
          "--quiet",
          "--no-model",
        ]);
        assert.equal(run.code, 0, run.stderr);
        const s = lastJson<{ itch: Record<string, unknown>; malformed: number }>(run);
        const it = s.itch as {
          by_type: Record<string, number>;
          malformed_packets: number;
          short_messages: number;
        };
        assert.equal(it.malformed_packets, 0, e.name);
        assert.equal(s.malformed, 0, e.name);
        assert.equal(it.short_messages, 0);
        await using t = await tempDir();
        const theirs = f.port === 0
          ? await tsharkCounts(await withPort(pcap, 26477, t.dir), 26477)
          : await tsharkCounts(pcap, f.port);
        assert.ok(Object.keys(theirs).length > 0, `tshark saw no MoldUDP64 messages in ${e.name}`);
        assert.deepEqual(it.by_type, theirs, e.name);
      }
      assert.ok(files >= 8, `${files} captures`);
    },
  });
}

// ---- full LOBSTER days: BBO against an independent book ----

/** Best bid/offer in dollars x 10,000 and shares; null price = empty side. */

/** The BBO in force at each timestamp, from --bbo-out lines (the last line at or before it). */
function bboAt(lines: string[], times: number[], midnightSec: number): Map<number, Bbo> {
  const parsed = lines.map((l) => {
    const j = JSON.parse(l);
    const m = /T(\d\d):(\d\d):(\d\d)\.(\d{9})Z$/.exec(j.time)!;
    const sec = Date.parse(j.time.slice(0, 19) + "Z") / 1000;
    assert.ok(m, j.time);
    const ns = (sec - midnightSec) * 1e9 + Number(m[4]);
    const px = (v: number | null) => (v === null ? null : Math.round(v * 10000));
    return { ns, bbo: [px(j.bid), j.bid_size, px(j.ask), j.ask_size] as Bbo };
  });
  const out = new Map<number, Bbo>();
  let k = -1;
  for (const t of times) {
    while (k + 1 < parsed.length && parsed[k + 1].ns <= t) k++;
    out.set(t, k < 0 ? [null, null, null, null] : parsed[k].bbo);
  }
  return out;
}

/** A capture of ITCH through DPDK net_pcap (or the pcap feed), BBO lines to `bbo`. */
function replayItch(cap: string, bbo: string) {
  const args = ["--protocol", "itch", "--bbo-out", bbo, "--quiet", "--no-anomaly"];
  return tickwire([...replayArgs(cap), ...args]);
}

function replayArgs(cap: string): string[] {
  return hasDpdk()
    ? [
      "--feed",
      "dpdk",
      "--eal",
      `--no-huge --no-pci --no-shconf -m 512 --vdev=net_pcap0,rx_pcap=${cap}`,
      "--exit-on-eof",
    ]
    : ["--feed", "pcap", "--pcap", cap];
}

for (const sym of ["AAPL", "AMZN", "GOOG"]) {
  Deno.test(`${sym} day as ITCH through ${hasDpdk() ? "DPDK net_pcap" : "the pcap feed"}: BBO equals an independent book at 100% of timestamps`, async () => {
    await using t = await tempDir();
    const csv = lobsterFile(sym), cap = `${t.dir}/${sym}.pcap`, bbo = `${t.dir}/bbo.ndjson`;
    const imp = await importLobster(csv, sym, cap, "2012-06-21", ["--format", "itch"]);
    assert.equal(imp.code, 0, imp.stderr);
    const run = await replayItch(cap, bbo);
    assert.equal(run.code, 0, run.stderr);
    const s = lastJson<{ itch: Record<string, number | boolean>; ring_drops: number }>(run);
    assert.equal(s.ring_drops, 0);
    assert.deepEqual(
      [
        s.itch.gaps,
        s.itch.malformed_packets,
        s.itch.unknown_orders,
        s.itch.book_errors,
        s.itch.stale,
      ],
      [0, 0, 0, 0, false],
    );
    const rows = await readLobsterRows(csv);
    assert.equal(s.itch.messages, rows.length + JSON.parse(imp.stdout).synthesized_adds + 1);
    const ref = referenceBbo(rows);
    const lines = (await Deno.readTextFile(bbo)).trim().split("\n");
    assert.equal(lines.length, s.itch.bbo_lines);
    const ours = bboAt(lines, [...ref.keys()], nyMidnightUtc("2012-06-21"));
    let equal = 0;
    for (const [ns, want] of ref) {
      assert.deepEqual(ours.get(ns), want, `${sym} at ${ns} ns after midnight`);
      equal++;
    }
    assert.equal(equal, ref.size);
    assert.ok(ref.size > 20_000, `${ref.size} timestamps`);
  });
}

Deno.test("packets lost without a re-request server: the gap is reported and every book is stale", async () => {
  await using t = await tempDir();
  const cap = `${t.dir}/aapl.pcap`, cut = `${t.dir}/cut.pcap`, bbo = `${t.dir}/bbo.ndjson`;
  const imp = await importLobster(lobsterFile("AAPL"), "AAPL", cap, "2012-06-21", [
    "--format",
    "itch",
  ]);
  assert.equal(imp.code, 0, imp.stderr);
  const dropped = dropPackets(await Deno.readFile(cap), [100, 101, 2000]);
  await Deno.writeFile(cut, dropped.bytes);
  const run = await replayItch(cut, bbo);
  assert.equal(run.code, 0, run.stderr);
  const it = lastJson<{ itch: Record<string, unknown> }>(run).itch;
  assert.equal(it.gaps, 2);
  assert.equal(it.unrecovered, dropped.messages);
  assert.equal(it.stale, true);
  assert.equal((it.gap_ranges as unknown[]).length, 2);
  const lines = (await Deno.readTextFile(bbo)).trim().split("\n").map((l) => JSON.parse(l));
  const firstStale = lines.findIndex((l) => l.stale === true);
  assert.ok(firstStale > 0, "lines before the gap are not stale");
  assert.ok(lines.slice(firstStale).every((l) => l.stale === true), "every line after it is");
});

/** Removes packets (by index) from a classic pcap; counts the MoldUDP64 messages they held. */
function dropPackets(pcap: Uint8Array, drop: number[]): { bytes: Uint8Array; messages: number } {
  const dv = new DataView(pcap.buffer, pcap.byteOffset), parts = [pcap.subarray(0, 24)];
  let at = 24, i = 0, messages = 0;
  while (at + 16 <= pcap.length) {
    const len = dv.getUint32(at + 8, true), rec = pcap.subarray(at, at + 16 + len);
    if (drop.includes(i)) messages += dv.getUint16(at + 16 + 42 + 18); // MoldUDP64 count
    else parts.push(rec);
    at += 16 + len;
    i++;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { bytes: out, messages };
}

Deno.test("--protocol itch: usage errors are clear", async () => {
  const bad = [
    [["--protocol", "itch"], "applies to --feed udp|pcap|dpdk"],
    [["--feed", "udp", "--bbo-out", "/tmp/x"], "needs --protocol itch"],
    [["--feed", "udp", "--protocol", "fix"], "--protocol"],
    [["--feed", "udp", "--protocol", "itch", "--itch-date", "2012-02-30"], "calendar date"],
  ] as const;
  for (const [args, want] of bad) {
    const r = await tickwire([...args]);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, new RegExp(want.replace(/[|]/g, "\\|")));
  }
});

Deno.test("a full ITCH day through parse, books and BBO allocates nothing per message", async () => {
  const p = await gcProbe(`${ROOT}tests/fixtures/itch_probe.ts`, "books");
  assert.ok(p.ticks >= 9_000_000, `${p.ticks} messages`);
  // one 12-byte box per message would be 119 MB: several young collections
  assert.ok(p.scavenges <= 1, `${p.scavenges} young collections`);
});

Deno.test("... and with the tick consumer and bars behind it: at most one young collection", async () => {
  const p = await gcProbe(`${ROOT}tests/fixtures/itch_probe.ts`, "full");
  assert.ok(p.bars > 10_000, `${p.bars} bars`);
  // One young collection may come from garbage made before BEGIN (warm-up); a 12-byte box per
  // message would be 119 MB in the measured region, several collections.
  assert.ok(p.scavenges <= 1, `${p.scavenges} young collections`);
});

/** `deno task feed --protocol itch` of a LOBSTER day to tickwire's UDP feed; both summaries. */
async function itchOverUdp(sym: string, extra: string[]) {
  const { bg, port } = startUdpTickwire([
    "--protocol",
    "itch",
    "--itch-date",
    "2012-06-21",
    "--no-http",
  ]);
  await bg.ready;
  const sent = await deno("src/tools/feed.ts", [
    ...["--protocol", "itch", "--source", "lobster", "--in", lobsterFile(sym), "--symbol", sym],
    ...[
      "--date",
      "2012-06-21",
      "--to",
      `127.0.0.1:${port}`,
      "--rate",
      "200000",
      "--quiet",
      ...extra,
    ],
  ]);
  assert.equal(sent.code, 0, sent.stderr);
  await new Promise((r) => setTimeout(r, 300));
  const got = await bg.stop();
  assert.equal(got.code, 0, got.stderr);
  type S = { itch: Record<string, number | boolean>; trades: number; kernel_drops?: number };
  return {
    sent: lastJson<{ messages: number; lines: { dropped: number }[] }>(sent),
    got: lastJson<S>(got),
  };
}

Deno.test("feed --protocol itch over UDP: every message arrives and is applied, in sequence", async () => {
  const { sent, got } = await itchOverUdp("GOOG", []);
  assert.equal(got.itch.messages, sent.messages);
  assert.deepEqual([got.itch.gaps, got.itch.stale, got.itch.malformed_packets], [0, false, 0]);
  assert.equal(got.trades, 7765 + 3913, "every execution (types 4 and 5) became a trade");
});

Deno.test("feed --protocol itch --drop-frame: the receiver reports the gap and stale books", async () => {
  const { sent, got } = await itchOverUdp("GOOG", ["--drop-frame", "40"]);
  assert.equal(sent.lines[0].dropped, 1);
  assert.equal(got.itch.gaps, 1);
  assert.equal(got.itch.unrecovered, sent.messages - (got.itch.messages as number));
  assert.equal(got.itch.stale, true);
});
