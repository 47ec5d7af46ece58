import assert from "node:assert/strict";
import {
  LobsterError,
  nyMidnightUtc,
  nyOffsetSeconds,
  parseLobsterLine,
  readLobster,
} from "../src/feeds/lobster.ts";
import { frameTicks } from "../src/feeds/framing.ts";
import { deno, importLobster, lastJson, lobsterFile, tempDir, tickwire } from "./helpers.ts";

Deno.test("New York offset follows daylight saving", () => {
  assert.equal(nyOffsetSeconds("2012-06-21"), -4 * 3600);
  assert.equal(nyOffsetSeconds("2012-01-03"), -5 * 3600);
  assert.equal(nyOffsetSeconds("2012-03-12"), -4 * 3600, "the Monday after the March switch");
  assert.equal(nyOffsetSeconds("2012-11-05"), -5 * 3600, "the Monday after the November switch");
  assert.throws(() => nyOffsetSeconds("2012-02-30"), LobsterError);
  assert.throws(() => nyOffsetSeconds("21/06/2012"), LobsterError);
});

Deno.test("times are exact to the nanosecond, executions only, sides from the resting order", () => {
  const m = nyMidnightUtc("2012-06-21");
  assert.equal(m, Date.UTC(2012, 5, 21, 4) / 1000);
  const t = parseLobsterLine("34200.004241176,4,16113575,18,5853300,1", m, "AAPL")!;
  assert.equal(t.sec, m + 34200);
  assert.equal(t.nsec, 4_241_176);
  assert.equal(new Date(t.sec * 1000).toISOString(), "2012-06-21T13:30:00.000Z");
  assert.deepEqual([t.price, t.size, t.side, t.priceExp], [5853300, 18, 2, -4]);
  assert.equal(parseLobsterLine("34200.1,5,0,1,2238200,-1", m, "X")!.nsec, 100_000_000);
  assert.equal(parseLobsterLine("34200.1,5,0,1,2238200,-1", m, "X")!.side, 1);
  assert.equal(
    parseLobsterLine("34200.1,1,5,1,2238200,-1", m, "X"),
    null,
    "submissions are skipped",
  );
  assert.equal(parseLobsterLine("34200.1,3,5,1,2238200,-1", m, "X"), null, "deletions are skipped");
  assert.throws(() => parseLobsterLine("abc,4,1,1,1,1", m, "X"), /bad time/);
  assert.throws(() => parseLobsterLine("1.5,4,1,1", m, "X"), /6 fields/);
  assert.throws(() => parseLobsterLine("1.5,9,1,1,1,1", m, "X"), /event type/);
});

Deno.test("file order is kept for rows that share a timestamp", async () => {
  await using t = await tempDir();
  const f = `${t.dir}/m.csv`;
  await Deno.writeTextFile(
    f,
    [
      "34200.5,4,1,10,100,1",
      "34200.5,1,2,10,100,1",
      "34200.5,4,3,20,300,1",
      "34200.5,5,0,30,200,-1",
      "34201,4,4,5,100,1",
    ]
      .join("\n") + "\n",
  );
  const { trades, stats } = await readLobster(f, "T", "2012-06-21");
  assert.deepEqual(trades.map((x) => x.size), [10, 20, 30, 5]);
  assert.deepEqual(stats, { rows: 5, trades: 4, skipped: 1 });
  const frames = [...frameTicks(trades, 1, 16)];
  assert.deepEqual(frames.map((f) => [f.firstSeq, f.ticks.length]), [[1, 3], [4, 1]]);
  await Deno.writeTextFile(f, "34200.5,4,1,10,100,1\nthis is not lobster\n");
  await assert.rejects(() => readLobster(f, "T", "2012-06-21"), /m\.csv:2/);
});

const DAYS: [string, number][] = [["AAPL", 34990], ["AMZN", 11419], ["GOOG", 11678]];

Deno.test("import-lobster turns each sample day into a capture the pcap feed reads completely", async () => {
  await using t = await tempDir();
  for (const [sym, trades] of DAYS) {
    const out = `${t.dir}/${sym}.pcap`;
    const imp = await importLobster(lobsterFile(sym), sym, out);
    assert.equal(imp.code, 0, imp.stderr);
    const j = lastJson<Record<string, number>>(imp);
    assert.equal(j.trades, trades);
    const run = lastJson<Record<string, number>>(
      await tickwire(["--feed", "pcap", "--pcap", out, "--exit-on-eof", "--no-http", "--quiet"]),
    );
    assert.equal(run.trades, trades);
    assert.equal(run.frames, j.frames);
    assert.equal(run.volume, j.volume);
    assert.deepEqual([run.malformed, run.gaps, run.ring_drops], [0, 0, 0]);
  }
});

Deno.test("import-lobster usage errors exit 2", async () => {
  const r = await importLobster("/nonexistent.csv", "X", "/tmp/x.pcap");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /file not found/);
  const r2 = await deno("src/tools/import_lobster.ts", ["--symbol", "X"]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /required/);
});
