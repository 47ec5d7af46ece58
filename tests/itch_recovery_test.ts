/**
 * Filling MoldUDP64 gaps: A/B line arbitration (the first copy of each
 * sequence number from either line), re-requests to the publisher's
 * re-request server, and what is reported when neither can fill a gap.
 * In-process, the ITCH stage gets packets of a real LOBSTER day on two
 * lines with losses and reordering; end to end, `deno task feed --protocol
 * itch` sends the day over UDP to tickwire's udp feed listening on two
 * sockets, and the BBO lines and bars must equal those of a loss-free run.
 */
import assert from "node:assert/strict";
import { type ItchOptions, ItchStage } from "../src/feeds/itch/stage.ts";
import { lobsterToItch } from "../src/feeds/itch/from_lobster.ts";
import { moldPackets, sessionName, type TimedPacket } from "../src/feeds/itch/capture.ts";
import { readLobsterRows } from "../src/feeds/lobster.ts";
import { SRC_LINE_SHIFT } from "../src/ring/layout.ts";
import {
  deno,
  freeUdpPort,
  lastJson,
  lobsterFile,
  type Run,
  startTickwire,
  tempDir,
  tickwire,
} from "./helpers.ts";

const DATE = "2012-06-21";

async function goodPackets(): Promise<TimedPacket[]> {
  const conv = lobsterToItch(await readLobsterRows(lobsterFile("GOOG")), "GOOG");
  return moldPackets(conv.messages, sessionName("GOOG", DATE), DATE);
}

/** FNV-1a over every frame of ticks the stage hands on, and how many frames. */
function tickDigest() {
  const d = { hash: 0x811c9dc5, frames: 0 };
  const next = (bytes: Uint8Array, off: number, len: number) => {
    d.frames++;
    for (let i = off; i < off + len; i++) d.hash = Math.imul(d.hash ^ bytes[i], 16777619) >>> 0;
  };
  return { d, next };
}

function stageOf(opts: Partial<ItchOptions>) {
  const t = tickDigest();
  const stage = new ItchStage({ date: DATE, check: true, maxOrders: 1 << 20, ...opts }, t.next);
  return { stage, digest: t.d };
}

/** Feeds (line, packet) pairs to a stage and finishes it. */
function feed(stage: ItchStage, order: [number, TimedPacket][]): void {
  for (const [line, p] of order) {
    stage.onRecord(p.bytes, 0, p.bytes.length, 0, 0, line << SRC_LINE_SHIFT);
  }
  stage.finish();
}

Deno.test("A/B in process: losses on each line, B running behind A, the same ticks as a clean line", async () => {
  const packets = await goodPackets();
  const ref = stageOf({});
  feed(ref.stage, packets.map((p) => [0, p]));
  const lostA = new Set([10, 11, 12, 300, 301, 900]), lostB = new Set([13, 299, 902, 950]);
  const order: [number, TimedPacket][] = [];
  const lag = 5; // B's copy of packet k comes after A's packet k + lag
  for (let k = 0; k < packets.length + lag; k++) {
    if (k < packets.length && !lostA.has(k)) order.push([0, packets[k]]);
    const b = k - lag;
    if (b >= 0 && !lostB.has(b)) order.push([1, packets[b]]);
  }
  const ab = stageOf({ lines: 2, fill: { waitMs: 10_000 } });
  feed(ab.stage, order);
  assert.deepEqual(ab.digest, ref.digest, "identical ticks, frame for frame");
  const s = ab.stage.summary(), r = ref.stage.summary();
  assert.deepEqual([s.messages, s.gaps, s.unrecovered, s.stale], [r.messages, 0, 0, false]);
  assert.deepEqual([s.orders_live, s.trades, s.quotes], [r.orders_live, r.trades, r.quotes]);
  const lostMessages = (lost: Set<number>) => [...lost].reduce((n, k) => n + packets[k].count, 0);
  assert.deepEqual(s.lines.map((l) => l.losses), [lostMessages(lostA), lostMessages(lostB)]);
  assert.deepEqual(
    s.lines.map((l) => l.arrivals),
    [packets.length - lostA.size, packets.length - lostB.size],
  );
  assert.equal(s.lines[0].duplicates + s.lines[1].duplicates, s.duplicate_packets);
});

Deno.test("A/B in process: a gap both lines lost is declared after the wait, the rest applied in order", async () => {
  const packets = await goodPackets();
  const both = [50, 51, 52];
  const ab = stageOf({ lines: 2, fill: { waitMs: 5 } });
  const order: [number, TimedPacket][] = [];
  for (const [k, p] of packets.entries()) {
    if (!both.includes(k)) order.push([0, p], [1, p]);
  }
  feed(ab.stage, order);
  const s = ab.stage.summary();
  const lost = both.reduce((n, k) => n + packets[k].count, 0);
  const total = packets.reduce((n, p) => n + p.count, 0);
  assert.deepEqual([s.gaps, s.unrecovered, s.messages, s.stale], [1, lost, total - lost, true]);
  assert.deepEqual(s.gap_ranges, [{
    first: packets[50].seq,
    last: packets[52].seq + packets[52].count - 1,
  }]);
});

Deno.test("A/B in process: a full hold store gives the gap up early, counted, nothing else lost", async () => {
  const packets = await goodPackets();
  const ab = stageOf({ lines: 2, fill: { waitMs: 60_000, holdPackets: 4 } });
  feed(ab.stage, packets.filter((_, k) => k !== 7).map((p) => [0, p]));
  const s = ab.stage.summary();
  const total = packets.reduce((n, p) => n + p.count, 0);
  assert.deepEqual([s.gaps, s.unrecovered, s.hold_overflows], [1, packets[7].count, 1]);
  assert.equal(s.messages, total - packets[7].count);
});

/** A copy of a packet with its MoldUDP64 sequence number set to `seq`. */
function withSeq(p: TimedPacket, seq: number): TimedPacket {
  const bytes = p.bytes.slice(), dv = new DataView(bytes.buffer);
  dv.setUint32(10, Math.floor(seq / 2 ** 32));
  dv.setUint32(14, seq >>> 0);
  return { ...p, seq, bytes };
}

Deno.test("one packet with a corrupt far-ahead sequence number is held back, not trusted", async () => {
  const packets = await goodPackets();
  const ref = stageOf({});
  feed(ref.stage, packets.map((p) => [0, p]));
  const bogus = withSeq(packets[100], 1e12);
  const order: [number, TimedPacket][] = packets.map((p) => [0, p]);
  order.splice(100, 0, [0, bogus]);
  const s = stageOf({});
  feed(s.stage, order);
  const j = s.stage.summary();
  assert.deepEqual(s.digest, ref.digest, "every real message applied, in order");
  assert.deepEqual([j.sequence_jumps, j.gaps, j.unrecovered, j.stale], [1, 0, 0, false]);
});

Deno.test("a far jump the next packet confirms is a gap: reported, the rest applied", async () => {
  const packets = await goodPackets();
  const shift = 5_000_000, cut = 200;
  const order: [number, TimedPacket][] = packets.map((
    p,
    k,
  ) => [0, k < cut ? p : withSeq(p, p.seq + shift)]);
  const s = stageOf({ maxJump: 1_000_000 });
  feed(s.stage, order.slice(0, -1)); // the end-of-session packet keeps its own number
  const j = s.stage.summary();
  const total = packets.slice(0, -1).reduce((n, p) => n + p.count, 0);
  assert.equal(j.sequence_jumps, 1);
  assert.equal(j.gaps, 1);
  assert.equal(j.unrecovered, shift + packets[cut].count, "the jump and the held-back packet");
  assert.equal(j.messages, total - packets[cut].count);
});

/** One run: tickwire on one or two UDP lines, the GOOG day sent by `deno task feed`. */
async function udpRun(dir: string, name: string, o: {
  lines: number;
  feedArgs?: string[];
  twArgs?: string[];
}) {
  const ports = Array.from({ length: o.lines }, () => freeUdpPort());
  const bbo = `${dir}/${name}.bbo.ndjson`, bars = `${dir}/${name}.bars.ndjson`;
  const tw = startTickwire([
    ...["--feed", "udp", "--protocol", "itch", "--itch-date", DATE, "--no-http"],
    ...["--status-interval", "0", "--bbo-out", bbo, "--bars-out", bars, "--windows", "1s,1m"],
    ...ports.flatMap((p) => ["--listen", `127.0.0.1:${p}`]),
    ...(o.twArgs ?? []),
  ]);
  await tw.ready;
  const sent = await deno("src/tools/feed.ts", [
    ...["--protocol", "itch", "--source", "lobster", "--in", lobsterFile("GOOG")],
    ...["--symbol", "GOOG", "--date", DATE, "--rate", "200000", "--quiet"],
    ...ports.flatMap((p) => ["--to", `127.0.0.1:${p}`]),
    ...(o.feedArgs ?? []),
  ]);
  assert.equal(sent.code, 0, sent.stderr);
  await new Promise((r) => setTimeout(r, 500));
  const got: Run = await tw.stop();
  assert.equal(got.code, 0, got.stderr);
  type Itch = ReturnType<ItchStage["summary"]>;
  return {
    sent: lastJson<{ messages: number; rerequests?: Record<string, number> }>(sent),
    itch: lastJson<{ itch: Itch }>(got).itch,
    bbo: await Deno.readTextFile(bbo),
    bars: await Deno.readTextFile(bars),
  };
}

/** The sequence ranges of packets (0-based indexes of the day's packets). */
function rangesOf(packets: TimedPacket[], ks: number[]) {
  return ks.map((k) => ({ first: packets[k].seq, last: packets[k].seq + packets[k].count - 1 }));
}

Deno.test("UDP A/B lines and re-requests: identical books and bars, recovered ranges reported", async () => {
  await using t = await tempDir();
  const packets = await goodPackets();
  const ref = await udpRun(t.dir, "ref", { lines: 1 });
  assert.equal(ref.itch.messages, ref.sent.messages);
  assert.ok(ref.bbo.length > 0 && ref.bars.length > 0);

  // Each line loses packets the other has: nothing is missing after arbitration.
  const ab = await udpRun(t.dir, "ab", {
    lines: 2,
    feedArgs: ["--drop-frame", "A:40", "--drop-frame", "B:41", "--drop-frame", "A:700"],
  });
  assert.deepEqual([ab.itch.gaps, ab.itch.unrecovered, ab.itch.stale], [0, 0, false]);
  assert.deepEqual(
    ab.itch.lines.map((l) => l.losses),
    [packets[39].count + packets[699].count, packets[40].count],
  );
  assert.equal(ab.bbo, ref.bbo, "BBO lines identical");
  assert.equal(ab.bars, ref.bars, "bars identical");

  // Both lines lose packets 40 and 1355 (the last with data): re-requested and recovered.
  const rport = freeUdpPort();
  const rr = await udpRun(t.dir, "rr", {
    lines: 2,
    feedArgs: [
      ...["--drop-frame", "40", "--drop-frame", `${packets.length - 1}`],
      ...["--rerequest-listen", `127.0.0.1:${rport}`, "--linger", "1000"],
    ],
    twArgs: ["--rerequest", `127.0.0.1:${rport}`],
  });
  const lost = rangesOf(packets, [39, packets.length - 2]);
  assert.deepEqual(rr.itch.recovered_ranges, lost);
  assert.equal(rr.itch.recovered, packets[39].count + packets[packets.length - 2].count);
  assert.ok(rr.itch.rerequested >= rr.itch.recovered, "asked for at least what came");
  assert.deepEqual([rr.itch.gaps, rr.itch.unrecovered, rr.itch.stale], [0, 0, false]);
  assert.ok((rr.sent.rerequests?.packets ?? 0) >= 2, "the server answered");
  assert.equal(rr.bbo, ref.bbo, "BBO lines identical after recovery");
  assert.equal(rr.bars, ref.bars, "bars identical after recovery");
});

Deno.test("UDP: a re-request server that never answers: bounded tries, the gap reported, books stale", async () => {
  await using t = await tempDir();
  const packets = await goodPackets();
  const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const port = (silent.addr as Deno.NetAddr).port;
    const run = await udpRun(t.dir, "silent", {
      lines: 1,
      feedArgs: ["--drop-frame", "40"],
      twArgs: ["--rerequest", `127.0.0.1:${port}`, "--rerequest-retries", "2"],
    });
    assert.equal(run.itch.rerequests, 2, "exactly the retries allowed");
    assert.deepEqual([run.itch.gaps, run.itch.recovered], [1, 0]);
    assert.equal(run.itch.unrecovered, packets[39].count);
    assert.deepEqual(run.itch.gap_ranges, rangesOf(packets, [39]));
    assert.equal(run.itch.stale, true);
  } finally {
    silent.close();
  }
});

Deno.test("A/B and re-request options: usage errors are clear", async () => {
  const cases: [string[], string][] = [
    [
      ["--feed", "udp", "--listen", "127.0.0.1:1", "--listen", "127.0.0.1:2"],
      "twice with --protocol itch",
    ],
    [["--feed", "udp", "--rerequest", "127.0.0.1:9"], "needs --protocol itch"],
    [["--feed", "udp", "--protocol", "itch", "--rerequest", "nowhere"], "IPv4:PORT"],
    [["--feed", "udp", "--protocol", "itch", "--rerequest", "feed.example.com:9"], "IPv4:PORT"],
    [["--feed", "udp", "--protocol", "itch", "--rerequest", "999.1.1.1:9"], "IPv4:PORT"],
    [
      [
        "--feed",
        "udp",
        "--protocol",
        "itch",
        "--mold-sequence",
        "off",
        "--rerequest",
        "127.0.0.1:1",
      ],
      "need --mold-sequence check",
    ],
  ];
  for (const [args, want] of cases) {
    const r = await tickwire(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(want.replace(/[-]/g, "\\-")), args.join(" "));
  }
  const f = await deno("src/tools/feed.ts", ["--to", "127.0.0.1:9", "--rerequest-listen", "h:1"]);
  assert.equal(f.code, 2, f.stderr);
  assert.match(f.stderr, /--rerequest-listen needs --protocol itch/);
});
