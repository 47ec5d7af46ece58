import assert from "node:assert/strict";
import { deno, lastJson, SHARED, tempDir, tickwire } from "./helpers.ts";
import { PcapWriter } from "../src/net/pcap.ts";
import { encodeFrame } from "../src/wire/encode.ts";

type J = Record<string, number> & {
  gap_events: { first: number; last: number }[];
  feed_stats: Record<string, number>;
};

Deno.test("pcap feed: a tool-made capture arrives whole, checksum equal, injected gap found", async () => {
  await using t = await tempDir();
  const cap = `${t.dir}/synth.pcap`;
  const sent = await deno("src/tools/feed.ts", [
    "--pcap-out",
    cap,
    "--count",
    "30000",
    "--rate",
    "0",
    "--seed",
    "4",
    "--drop-frame",
    "7",
    "--drop-frame",
    "100",
    "--quiet",
  ]);
  assert.equal(sent.code, 0, sent.stderr);
  const s = lastJson<J & { gaps: { first: number; last: number }[] }>(sent);
  const r = lastJson<J>(
    await tickwire(["--feed", "pcap", "--pcap", cap, "--exit-on-eof", "--quiet"]),
  );
  assert.equal(r.frames, s.frames);
  assert.equal(r.ticks, s.ticks);
  assert.equal(r.trades, s.trades);
  assert.equal(r.checksum, s.checksum);
  assert.equal(r.gaps, 2);
  assert.deepEqual(
    r.gap_events.map((g) => [g.first, g.last]),
    s.gaps.map((g) => [g.first, g.last]),
  );
  assert.equal(r.missing, s.gaps.reduce((a, g) => a + g.last - g.first + 1, 0));
  assert.equal(r.ring_drops, 0);
  assert.equal(r.malformed, 0);
});

Deno.test("pcap feed: --speed replays at the recorded pace times the factor", async () => {
  await using t = await tempDir();
  const cap = `${t.dir}/paced.pcap`;
  const w = await PcapWriter.create(cap);
  // 11 frames spread over 1 second of event time
  for (let i = 0; i <= 10; i++) {
    const ticks = [{
      sec: 1000,
      nsec: i * 99_000_000, // below 10^9: a tick with nsec 10^9 is rejected (bad_time)
      symbol: "P",
      kind: 1,
      price: 100 + i,
      size: 1,
    }];
    w.write(encodeFrame({ session: 1, firstSeq: i + 1, ticks }), 1000, i * 99_000_000);
  }
  await w.close();
  const t0 = performance.now();
  const r = lastJson<J>(
    await tickwire(["--feed", "pcap", "--pcap", cap, "--speed", "2", "--exit-on-eof", "--quiet"]),
  );
  const took = performance.now() - t0;
  assert.equal(r.ticks, 11);
  assert.ok(took >= 440, `0.99 s of capture at speed 2 took ${took.toFixed(0)} ms`);
});

Deno.test("pcap feed: the status line shows how far a replay has got, rising, with an ETA", async () => {
  await using t = await tempDir();
  const cap = `${t.dir}/progress.pcap`;
  const w = await PcapWriter.create(cap);
  for (let i = 0; i < 40; i++) { // 40 frames over 1.95 s of event time
    const ticks = [{ sec: 1000, nsec: 0, symbol: "P", kind: 1, price: 100 + i, size: 1 }];
    ticks[0].sec += Math.floor(i / 20);
    ticks[0].nsec = (i % 20) * 50_000_000;
    w.write(encodeFrame({ session: 1, firstSeq: i + 1, ticks }), ticks[0].sec, ticks[0].nsec);
  }
  await w.close();
  const r = await tickwire(
    ["--feed", "pcap", "--pcap", cap, "--speed", "1", "--exit-on-eof", "--status-interval", "0.25"],
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lastJson<J>(r).ticks, 40);
  const shown = [...r.stderr.matchAll(/\| (\d+\.\d)% ETA \d+:\d\d/g)].map((m) => Number(m[1]));
  assert.ok(shown.length >= 3, `status lines with a position: ${shown.join(", ")}\n${r.stderr}`);
  for (let i = 1; i < shown.length; i++) assert.ok(shown[i] >= shown[i - 1], shown.join(", "));
  assert.ok(shown[0] < 50 && shown.at(-1)! > 50 && shown.at(-1)! < 100, shown.join(", "));
});

Deno.test("pcap feed: real exchange captures are counted as malformed frames, never a crash", async () => {
  const caps = [
    "market-data-pcaps-omi/Nasdaq/Nasdaq.Equities.TotalView.Itch.v5.0/Multiple.Packets.pcap",
    "market-data-pcaps-omi/Cme/Mdp3.Sbe.v1.9/MdIncrementalRefreshBook.pcap",
    "market-data-pcaps-omi/Iex/DeepPlus.IexTp.1.0.2/all_message_types.pcap",
  ];
  for (const c of caps) {
    const run = await tickwire([
      "--feed",
      "pcap",
      "--pcap",
      `${SHARED}${c}`,
      "--exit-on-eof",
      "--quiet",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const r = lastJson<J>(run);
    const fs = r.feed_stats;
    assert.ok(fs.packets > 0, c);
    assert.equal(
      fs.pushed + fs.non_udp + fs.other_port + r.malformed_packets,
      fs.packets,
      "every packet accounted",
    );
    assert.equal(r.malformed_frames, fs.pushed, "not tickwire frames: each counted, none decoded");
    assert.equal(r.ticks, 0);
    // a port filter that matches nothing counts them as other ports
    const f = lastJson<J>(
      await tickwire([
        "--feed",
        "pcap",
        "--pcap",
        `${SHARED}${c}`,
        "--udp-port",
        "1",
        "--exit-on-eof",
        "--quiet",
      ]),
    );
    assert.equal(f.feed_stats.other_port, fs.pushed);
  }
});

Deno.test("pcap feed: broken files give clear errors or counted drops", async () => {
  await using t = await tempDir();
  const notPcap = `${t.dir}/not.pcap`;
  await Deno.writeTextFile(notPcap, "this is a text file, not a capture at all");
  const r = await tickwire(["--feed", "pcap", "--pcap", notPcap, "--exit-on-eof", "--quiet"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not a classic pcap file/);

  // a capture cut in the middle of its last packet
  const cap = `${t.dir}/cut.pcap`;
  const w = await PcapWriter.create(cap);
  for (let i = 0; i < 5; i++) {
    const ticks = [{ sec: 1, nsec: i, symbol: "C", kind: 1, price: 1, size: 1 }];
    w.write(encodeFrame({ session: 1, firstSeq: i + 1, ticks }), 1, i);
  }
  await w.close();
  const full = await Deno.readFile(cap);
  await Deno.writeFile(cap, full.subarray(0, full.length - 10));
  const c = lastJson<J>(
    await tickwire(["--feed", "pcap", "--pcap", cap, "--exit-on-eof", "--quiet"]),
  );
  assert.equal(c.ticks, 4);
  assert.equal(c.malformed_packets, 1);
});
