/**
 * Hostile input and faults (issue 14), each against the real binary with
 * real files and sockets: what is delivered (every legitimate tick), what is
 * counted and reported, and the exit status.
 */
import assert from "node:assert/strict";
import { encodeFrame, type TickInput } from "../src/wire/encode.ts";
import { FrameReader } from "../src/wire/frame.ts";
import { PcapWriter } from "../src/net/pcap.ts";
import { hasDpdk } from "../src/native/lib.ts";
import {
  deno,
  lastJson,
  rng,
  startTickwire,
  startUdpTickwire,
  stopWithin,
  tempDir,
  tickwire,
} from "./helpers.ts";

type Summary = Record<string, unknown> & Record<string, number>;

const T0 = 1_767_312_000; // 2026-01-02T00:00:00Z
const SYMS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"];

/** 16 legitimate trades per frame, 10 frames per second of event time. */
function legit(frame: number): TickInput[] {
  return Array.from({ length: 16 }, (_, i) => ({
    sec: T0 + Math.floor(frame / 10),
    nsec: (frame % 10) * 100_000_000 + i * 1000,
    symbol: SYMS[(frame + i) % 8],
    kind: 1,
    price: 1_000_000 + ((frame * 16 + i) % 997),
    size: 1 + ((frame + i) % 50),
  }));
}

/** Byte offsets of the fields of a Tick struct (schemas/tickwire.fbs). */
const F = { sec: 0, nsec: 4, symLo: 8, symHi: 12, priceLo: 16, priceHi: 20, exp: 42 } as const;

/** Writes hostile values into tick i of an encoded frame (as an attacker's encoder would). */
function patch(frame: Uint8Array, i: number, edit: (dv: DataView, at: number) => void) {
  const r = new FrameReader();
  assert.ok(r.open(frame, 0, frame.length) > i);
  edit(new DataView(frame.buffer, frame.byteOffset), r.tick(i).bb_pos);
  return frame;
}

async function capture(path: string, frames: Uint8Array[]): Promise<void> {
  const w = await PcapWriter.create(path);
  for (const f of frames) w.write(f, T0, 0);
  await w.close();
}

/** Replays frames through the pcap feed; returns the summary and the bars. */
async function replay(frames: Uint8Array[], extra: string[] = []) {
  await using t = await tempDir();
  await capture(`${t.dir}/c.pcap`, frames);
  const run = await tickwire([
    "--feed",
    "pcap",
    "--pcap",
    `${t.dir}/c.pcap`,
    "--windows",
    "1s",
    "--bars-out",
    `${t.dir}/bars.ndjson`,
    "--no-http",
    "--quiet",
    "--no-model",
    ...extra,
  ]);
  assert.equal(run.code, 0, run.stderr);
  const text = await Deno.readTextFile(`${t.dir}/bars.ndjson`);
  const bars = text.trim().split("\n").filter((l) => l).map((l) => JSON.parse(l));
  return { s: lastJson<Summary>(run), bars, run };
}

/** Volume per symbol and 1s bar, computed here from the ticks that should count. */
function expectedVolume(ticks: TickInput[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of ticks) {
    const key = `${t.symbol}|${new Date(t.sec * 1000).toISOString().replace(".000", "")}`;
    m.set(key, (m.get(key) ?? 0) + t.size);
  }
  return m;
}

function barVolume(bars: { symbol: string; start: string; volume: number }[]) {
  return new Map(bars.map((b) => [`${b.symbol}|${b.start}`, b.volume]));
}

/** Every tick seen ends in exactly one bucket. */
function assertAccounted(s: Summary) {
  assert.equal(
    s.ticks_seen,
    s.ticks + s.duplicate_ticks + s.rejected + s.foreign + s.symbol_overflow,
    "ticks_seen = ticks + duplicate_ticks + rejected + foreign + symbol_overflow",
  );
}

Deno.test("1. one tick dated 2106 or a day ahead is rejected and never moves the watermark", async () => {
  const frames: Uint8Array[] = [], good: TickInput[] = [];
  for (let k = 0; k < 500; k++) {
    const ticks = legit(k);
    const f = encodeFrame({ session: 3, firstSeq: 1 + 16 * k, ticks });
    if (k === 250) patch(f, 0, (dv, at) => dv.setUint32(at + F.sec, 0xFFFFFFFF, true));
    if (k === 300) patch(f, 1, (dv, at) => dv.setUint32(at + F.sec, T0 + 86_400 + 30, true));
    good.push(...ticks.filter((_, i) => !(k === 250 && i === 0) && !(k === 300 && i === 1)));
    frames.push(f);
  }
  const { s, bars } = await replay(frames);
  assert.equal(s.late, 0, "no real tick became late");
  assert.equal(s.ticks, 8000 - 2);
  assert.deepEqual(s.rejected_by_reason, { implausible_time: 2 });
  const ev = s.rejected_events as unknown as { reason: string; sec: number }[];
  assert.deepEqual(ev.map((e) => [e.reason, e.sec]), [
    ["implausible_time", 0xFFFFFFFF],
    ["implausible_time", T0 + 86_430],
  ]);
  assert.deepEqual(barVolume(bars), expectedVolume(good), "every bar of every symbol is exact");
  assertAccounted(s);
});

Deno.test("1. on a live feed the wall clock rejects a far-future first tick", async () => {
  const { bg, port } = startUdpTickwire(["--no-http", "--no-model"]);
  try {
    await bg.ready;
    const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const now = Math.floor(Date.now() / 1000);
    const tick = (sec: number): TickInput => ({
      sec,
      nsec: 0,
      symbol: "LIVE",
      kind: 1,
      price: 100,
      size: 1,
    });
    const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
    await sock.send(encodeFrame({ session: 1, firstSeq: 1, ticks: [tick(now + 86_400)] }), to);
    for (let k = 0; k < 20; k++) {
      await sock.send(encodeFrame({ session: 1, firstSeq: 2 + k, ticks: [tick(now)] }), to);
    }
    sock.close();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    const s = lastJson<Summary>(await bg.stop());
    assert.equal(s.ticks, 20);
    assert.deepEqual(s.rejected_by_reason, { implausible_time: 1 });
    assert.equal(s.late, 0);
  }
});

Deno.test("1. a real jump of event time (a replay across a night) is taken after it is confirmed", async () => {
  const frames: Uint8Array[] = [], all: TickInput[] = [];
  for (let k = 0; k < 40; k++) {
    const ticks = legit(k).map((t) => k >= 20 ? { ...t, sec: t.sec + 50_000 } : t);
    all.push(...ticks);
    frames.push(encodeFrame({ session: 3, firstSeq: 1 + 16 * k, ticks }));
  }
  const { s, bars } = await replay(frames);
  assert.equal(s.ticks, 640, "every tick of both days");
  assert.equal(s.rejected, 0);
  assert.deepEqual(barVolume(bars), expectedVolume(all));
});

Deno.test("2. --fill prev after a poisoned tick is bounded, and the run ends with its summary", async () => {
  const frames = [0, 1, 2].map((k) =>
    encodeFrame({ session: 1, firstSeq: 1 + 16 * k, ticks: legit(k) })
  );
  patch(frames[2], 0, (dv, at) => dv.setUint32(at + F.sec, 0xFFFFFFFF, true));
  // the time rule off, so the poisoned tick reaches the bars
  const { s } = await replay(frames, ["--fill", "prev", "--max-skew", "0", "--windows", "1ms"]);
  assert.ok(s.fill_skipped > 0, "the fill was cut");
  assert.ok(s.bars_out_lines < 8 * 10_001 * 2, `${s.bars_out_lines} lines`);
});

Deno.test("2. a stop request is honoured while a poisoned fill would run", async () => {
  const { bg, port } = startUdpTickwire(
    "--no-http --no-model --fill prev --max-skew 0 --windows 1ms".split(" "),
  );
  await bg.ready;
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  const f = [0, 1].map((k) => encodeFrame({ session: 1, firstSeq: 1 + 16 * k, ticks: legit(k) }));
  patch(f[1], 0, (dv, at) => dv.setUint32(at + F.sec, 0xFFFFFFFF, true));
  for (const x of f) await sock.send(x, to);
  sock.close();
  await new Promise((r) => setTimeout(r, 500));
  const r = await stopWithin(bg, 10_000);
  assert.equal(r.code, 0);
  assert.ok(lastJson<Summary>(r).fill_skipped > 0);
});

Deno.test("3. a publisher restarted under the same session delivers everything twice over", async () => {
  const { bg, port } = startUdpTickwire(["--no-http", "--no-model"]);
  try {
    await bg.ready;
    for (let run = 0; run < 2; run++) {
      const args = `--to 127.0.0.1:${port} --count 50000 --rate 200000 --quiet`;
      const r = await deno("src/tools/feed.ts", args.split(" "));
      assert.equal(r.code, 0, r.stderr);
    }
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    const s = lastJson<Summary>(await bg.stop());
    assert.equal(s.ticks, 100_000, "both runs delivered");
    assert.equal(s.session_restarts, 1);
    assert.equal(s.duplicates, 0, "the end-of-session copies are not a restart, nor lost ticks");
    const n = s.notices as unknown as { code: string }[];
    assert.deepEqual(n.map((x) => x.code), ["session_restart"]);
  }
});

Deno.test("3. one spoofed frame at sequence 2^52 does not blackhole the real ones", async () => {
  const frames: Uint8Array[] = [];
  for (let k = 0; k < 500; k++) {
    frames.push(encodeFrame({ session: 8, firstSeq: 1 + 16 * k, ticks: legit(k) }));
    if (k === 100) frames.push(encodeFrame({ session: 8, firstSeq: 2 ** 52, ticks: legit(k) }));
  }
  const { s } = await replay(frames);
  assert.equal(s.ticks, 8000, "every real tick");
  assert.deepEqual([s.duplicates, s.sequence_jumps, s.gaps], [0, 1, 0]);
  assert.deepEqual(s.rejected_by_reason, { sequence_jump: 16 });
  const n = s.notices as unknown as { code: string; first: number }[];
  assert.deepEqual(n.map((x) => [x.code, x.first]), [["sequence_jump", 2 ** 52]]);
  assertAccounted(s);
});

Deno.test("4. past the session table, the least recent is forgotten and detection goes on", async () => {
  const frames: Uint8Array[] = [], last: Uint8Array[] = [];
  const tick = (s: number, k: number): TickInput[] => [{
    sec: T0 + k,
    nsec: s,
    symbol: "SESS",
    kind: 1,
    price: 100,
    size: 1,
  }];
  for (let k = 0; k < 3; k++) {
    for (let s = 0; s < 300; s++) {
      const f = encodeFrame({ session: 1000 + s, firstSeq: 1 + k, ticks: tick(s, k) });
      frames.push(f);
      if (k === 2 && s >= 290) last.push(f);
    }
  }
  frames.push(...last); // duplicates of the 10 most recent sessions' last frames
  const { s } = await replay(frames, ["--max-sessions", "256"]);
  assert.equal(s.ticks, 900);
  assert.equal(s.duplicates, 10, "a duplicate is never counted twice");
  assert.ok(s.session_evictions > 0);
  assertAccounted(s);
});

Deno.test("5. out-of-range wire values are rejected with a reason; the rest is exact", async () => {
  const cases: [string, (dv: DataView, at: number) => void][] = [
    ["bad_exponent", (dv, at) => dv.setInt8(at + F.exp, 127)],
    ["bad_exponent", (dv, at) => dv.setInt8(at + F.exp, -128)],
    ["bad_price", (dv, at) => dv.setInt32(at + F.priceHi, -1, true)],
    ["bad_time", (dv, at) => dv.setUint32(at + F.nsec, 1_000_000_000, true)],
    ["bad_symbol", (dv, at) => dv.setUint32(at + F.symLo, 0x00424101, true)], // \x01AB
    ["bad_symbol", (dv, at) => dv.setUint32(at + F.symLo, 0x3e623c, true)], // <b>
    ["bad_symbol", (dv, at) => { // only spaces
      dv.setUint32(at + F.symLo, 0x20202020, true);
      dv.setUint32(at + F.symHi, 0x20202020, true);
    }],
    ["bad_symbol", (dv, at) => { // only NULs
      dv.setUint32(at + F.symLo, 0, true);
      dv.setUint32(at + F.symHi, 0, true);
    }],
    ["bad_symbol", (dv, at) => dv.setUint32(at + F.symLo, 0x20424120, true)], // " AB "
  ];
  const frames: Uint8Array[] = [], good: TickInput[] = [];
  for (let k = 0; k < 100; k++) {
    const ticks = legit(k), f = encodeFrame({ session: 2, firstSeq: 1 + 16 * k, ticks });
    const c = k % 10 === 5 ? cases[(k / 10) | 0] : undefined;
    if (c) patch(f, 3, c[1]);
    good.push(...ticks.filter((_, i) => !(c && i === 3)));
    frames.push(f);
  }
  const { s, bars } = await replay(frames);
  const want: Record<string, number> = {};
  for (const [why] of cases) want[why] = (want[why] ?? 0) + 1;
  assert.deepEqual(s.rejected_by_reason, want);
  assert.equal(s.ticks, 1600 - cases.length);
  assert.equal(s.symbols, 8, "no hostile symbol was ever stored");
  assert.deepEqual(barVolume(bars), expectedVolume(good));
  assertAccounted(s);
});

Deno.test("6. --bars-out on a full device: one clear line, the summary, exit 1", async () => {
  const args = "--count 20000 --rate 0 --windows 1ms --bars-out /dev/full --no-http --quiet";
  const r = await tickwire([...args.split(" "), "--no-model"]);
  assert.equal(r.code, 1);
  const s = lastJson<Summary>(r);
  assert.equal(s.ticks, 20000, "nothing else lost");
  assert.equal(s.bars_out_lines, 0);
  assert.equal(s.bars_out_lost, s.bars);
  assert.match(s.error as unknown as string, /--bars-out \/dev\/full: write failed/);
  assert.match(r.stderr, /No space left on device/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
});

Deno.test("7. a capture truncated while it is replayed ends the capture, with the summary", async () => {
  await using t = await tempDir();
  const path = `${t.dir}/long.pcap`;
  const w = await PcapWriter.create(path);
  // 4 s of capture, far more than the feed reads ahead (4 MiB)
  for (let k = 0; k < 40_000; k++) {
    const f = encodeFrame({ session: 1, firstSeq: 1 + 16 * k, ticks: legit(k % 1000) });
    w.write(f, T0 + Math.floor(k / 10_000), (k % 10_000) * 100_000);
  }
  await w.close();
  const run = tickwire(["--feed", "pcap", "--pcap", path, "--speed", "1", "--no-http", "--quiet"]);
  await new Promise((r) => setTimeout(r, 1500));
  await Deno.truncate(path, 100_000);
  const r = await run;
  assert.equal(r.code, 0, r.stderr);
  const s = lastJson<Summary>(r);
  assert.equal(s.stopped_by, "eof");
  assert.ok(s.ticks > 0 && s.ticks < 640_000, `${s.ticks} ticks`);
});

Deno.test("8. a bar stage that cannot fit is refused before it starts (exit 2)", async () => {
  const r = await tickwire(
    "--max-symbols 1048576 --windows 1ms,1s,1m,1h --lateness 63ms --no-http".split(" "),
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bar state .* needs [\d.]+ GiB, more than/);
});

Deno.test({
  name: "9. --feed dpdk with a bad capture says what DPDK said about it",
  ignore: !hasDpdk(),
  async fn() {
    await using t = await tempDir();
    await Deno.writeTextFile(`${t.dir}/bad.pcap`, "not a capture");
    const r = await tickwire([
      "--feed",
      "dpdk",
      "--eal",
      `--no-huge --no-pci --no-shconf -m 256 --vdev=net_pcap0,rx_pcap=${t.dir}/bad.pcap`,
      "--exit-on-eof",
      "--no-http",
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.pcap: unknown file format/);
  },
});

Deno.test("10. command-line values are checked strictly", async () => {
  const cases: [string[], RegExp][] = [
    [["--bars-out", "--quiet"], /--bars-out needs a value, got the option --quiet/],
    [["--count", "0x10"], /--count: expected a whole number/],
    [["--count", "1e3"], /--count: expected a whole number/],
    [["--start", "2026-02-30T00:00:00Z"], /--start: expected an ISO-8601/],
    [["--feed", "dpdk", "--eal", "-h"], /--eal: '-h' makes DPDK print and exit/],
    [["--http", "127.example.invalid:8080"], /not a loopback address: give --token/],
  ];
  for (const [args, re] of cases) {
    const r = await tickwire(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, re, args.join(" "));
  }
});

Deno.test("13. Ctrl-C while NATS is being reached ends the run at once", async () => {
  const bg = startTickwire(["--nats", "nats://127.0.0.1:1", "--nats-timeout", "60s"]);
  await new Promise((r) => setTimeout(r, 1500));
  const r = await stopWithin(bg, 10_000);
  assert.equal(r.code, 130);
  assert.match(r.stderr, /interrupted while connecting to NATS/);
});

Deno.test("14. replays from files wait for a full ring instead of dropping; live feeds drop", async () => {
  const frames = Array.from(
    { length: 20_000 },
    (_, k) => encodeFrame({ session: 1, firstSeq: 1 + 16 * k, ticks: legit(k) }),
  );
  const { s } = await replay(frames, ["--ring-size", "4K", "--max-record", "1024"]);
  assert.equal(s.policy, "block");
  assert.deepEqual([s.ring_drops, s.ticks], [0, 320_000]);
  const live = await tickwire(["--count", "100", "--no-http", "--quiet", "--no-model"]);
  assert.equal(lastJson<Summary>(live).policy, "drop");
});

/** UDP payloads of a capture written by PcapWriter (Ethernet/IPv4/UDP, no VLAN). */
function payloads(pcap: Uint8Array): Uint8Array[] {
  const dv = new DataView(pcap.buffer, pcap.byteOffset), out: Uint8Array[] = [];
  for (let off = 24; off + 16 <= pcap.length;) {
    const incl = dv.getUint32(off + 8, true);
    out.push(pcap.slice(off + 16 + 42, off + 16 + incl));
    off += 16 + incl;
  }
  return out;
}

const HOSTILE: [string, (dv: DataView, at: number) => void][] = [
  ["bad_time", (dv, at) => dv.setUint32(at + F.nsec, 1_000_000_000 + 7, true)],
  ["bad_price", (dv, at) => dv.setInt32(at + F.priceHi, -5, true)],
  ["bad_exponent", (dv, at) => dv.setInt8(at + F.exp, 100)],
  ["bad_symbol", (dv, at) => dv.setUint32(at + F.symLo, 0x3c2f3e22, true)],
  ["implausible_time", (dv, at) => dv.setUint32(at + F.sec, dv.getUint32(at, true) + 86_400, true)],
];

Deno.test("semantic fuzz: 100,000 frames of a real stream with hostile values mixed in", async () => {
  await using t = await tempDir();
  // the real synthetic generator (the C feed), 4 ticks per frame, written as a capture
  const src = `${t.dir}/synth.pcap`;
  const args = "--count 400000 --batch 4 --rate 0 --seed 21 --quiet".split(" ");
  const made = await deno("src/tools/feed.ts", ["--pcap-out", src, ...args]);
  assert.equal(made.code, 0, made.stderr);
  const frames = payloads(await Deno.readFile(src));
  assert.ok(frames.length >= 100_000, `${frames.length} frames`);
  const r = rng(99), reader = new FrameReader(), out: Uint8Array[] = [];
  const want: Record<string, number> = {};
  const volume = new Map<string, number>(); // symbol|10 ms -> volume of the legitimate trades
  let legitTicks = 0, dupTicks = 0, jumps = 0, jumpTicks = 0, seen = 0;
  for (const f of frames) {
    const n = reader.open(f, 0, f.length);
    const hostile = n > 2 && r() < 0.1 ? HOSTILE[Math.floor(r() * HOSTILE.length)] : undefined;
    const victim = 1 + Math.floor(r() * (n - 2)); // never the first or last tick of a frame
    if (hostile) {
      patch(f, victim, hostile[1]);
      want[hostile[0]] = (want[hostile[0]] ?? 0) + 1;
    }
    reader.open(f, 0, f.length);
    for (let i = 0; i < n; i++) {
      if (hostile && i === victim) continue;
      const tk = reader.tick(i);
      legitTicks++;
      if (tk.kind() !== 1) continue;
      const sym = String.fromCharCode(...new Uint8Array(f.buffer, f.byteOffset + tk.bb_pos + 8, 8))
        .replace(/[\0 ]+$/, "");
      const key = `${sym}|${Math.floor((tk.tsSec() * 1000 + Math.floor(tk.tsNsec() / 1e6)) / 10)}`;
      volume.set(key, (volume.get(key) ?? 0) + tk.size());
    }
    out.push(f);
    seen += n;
    if (r() < 0.01) { // a duplicate of this frame, later
      out.push(f.slice());
      dupTicks += n;
      seen += n;
    }
    if (r() < 0.002) { // a spoofed frame far ahead in sequence
      const first = reader.firstSeq() + 2 ** 40;
      out.push(encodeFrame({ session: reader.session(), firstSeq: first, ticks: legit(1) }));
      jumps++;
      jumpTicks += 16;
      seen += 16;
    }
  }
  assert.equal(Object.keys(want).length, HOSTILE.length, "every kind of hostile value is in");
  assert.ok(Object.values(want).reduce((a, b) => a + b) > 5000 && jumps > 0 && dupTicks > 0);
  const { s, bars } = await replay(out, ["--windows", "10ms"]);
  // accounting, exactly
  assert.equal(s.ticks_seen, seen);
  assert.equal(s.ticks, legitTicks, "every legitimate tick delivered");
  assert.equal(s.duplicate_ticks, dupTicks);
  assert.equal(s.sequence_jumps, jumps);
  assert.deepEqual(s.rejected_by_reason, {
    ...want,
    ...(jumps ? { sequence_jump: jumpTicks } : {}),
  });
  assertAccounted(s);
  assert.deepEqual([s.late, s.gaps, s.ring_drops], [0, 0, 0]);
  // every legitimate trade is in its bar, against an independent sum
  const got = new Map<string, number>();
  for (const b of bars) {
    got.set(`${b.symbol}|${Math.floor(Date.parse(b.start) / 10)}`, b.volume);
  }
  assert.ok(volume.size > 1000, `${volume.size} bars`);
  assert.deepEqual(got, volume);
});

Deno.test("11. three wrong tokens close a socket; the API needs the token, the page does not", async () => {
  const bg = startTickwire(["--http", "127.0.0.1:0", "--token", "s3cret-token", "--no-model"]);
  try {
    await bg.ready;
    const ws = new WebSocket(`${bg.url().replace("http", "ws")}/v1/stream`);
    const closed = new Promise<number>((r) => ws.onclose = (e) => r(e.code));
    const errors: number[] = [];
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data as string);
      if (m.type === "error") errors.push(m.code);
    };
    await new Promise((r) => ws.onopen = r);
    for (let i = 0; i < 3; i++) ws.send(JSON.stringify({ op: "auth", id: i, token: `nope-${i}` }));
    assert.equal(await closed, 4008);
    assert.deepEqual(errors, [4008, 4008, 4008], "an answer to each, then the socket is gone");
    const noToken = await fetch(`${bg.url()}/v1/health`);
    assert.equal(noToken.status, 401);
    await noToken.body?.cancel();
    const page = await fetch(`${bg.url()}/`); // the dashboard's files are public (no data)
    assert.equal(page.status, 200);
    await page.body?.cancel();
  } finally {
    await bg.stop();
  }
});
