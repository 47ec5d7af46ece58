import assert from "node:assert/strict";
import { AnomalyRules } from "../src/anomaly/rules.ts";
import { FrameReader } from "../src/wire/frame.ts";
import { encodeFrame, type TickInput } from "../src/wire/encode.ts";
import { lastJson, tempDir, tickwire } from "./helpers.ts";

function tick(t: Partial<TickInput>) {
  const b = encodeFrame({
    session: 1,
    firstSeq: 1,
    ticks: [{ sec: 1000, nsec: 0, symbol: "X", kind: 1, price: 1_000_000, size: 100, ...t }],
  });
  const r = new FrameReader();
  r.open(b, 0, b.length);
  return r.tick(0);
}

Deno.test("rules: spikes, fat fingers, bursts, crossed quotes, stale symbols; normal ticks pass", () => {
  const r = new AnomalyRules(4);
  assert.equal(r.quote(0, tick({ kind: 2, price: 999_900, price2: 1_000_100 })), false);
  for (let i = 0; i < 60; i++) {
    assert.equal(r.trade(0, tick({ sec: 1000 + i / 10, price: 1_000_000 + (i % 3) * 100 })), false);
  }
  assert.equal(r.trade(0, tick({ sec: 1007, price: 1_070_000 })), true);
  assert.deepEqual([r.kind, Math.round(r.score)], [1, 7], "7 % away: price spike");
  assert.equal(r.trade(0, tick({ sec: 1007, price: 10_000_000 })), true);
  assert.equal(r.kind, 2, "x10: fat finger");
  assert.equal(r.trade(0, tick({ sec: 1007, size: 5000 })), true);
  assert.equal(r.kind, 3, "50x the usual size: volume burst");
  assert.equal(
    r.trade(0, tick({ sec: 1007, size: 150 })),
    false,
    "the spike did not become the new normal",
  );
  assert.equal(r.quote(0, tick({ kind: 2, sec: 1007, price: 1_000_200, price2: 1_000_100 })), true);
  assert.equal(r.kind, 4, "bid above ask: crossed quote");
  assert.equal(r.trade(0, tick({ sec: 1030, price: 1_000_000 })), true);
  assert.deepEqual([r.kind, r.score], [5, 23], "23 s of silence: stale");
  assert.equal(r.flags, 5);
});

Deno.test("synthetic labelled anomalies are flagged, and clean data stays quiet", async () => {
  await using t = await tempDir();
  const out = `${t.dir}/anomalies.ndjson`;
  const start = [
    "--start",
    "2026-01-02T14:30:00Z",
    "--count",
    "300000",
    "--rate",
    "0",
    "--policy",
    "block",
    "--no-http",
  ];
  const s = lastJson<
    { anomalies_by_kind: Record<string, number>; labels: Record<string, number>; anomalies: number }
  >(
    await tickwire([...start, "--anomalies", "0.0005", "--anomalies-out", out, "--quiet"]),
  );
  for (const kind of ["price_spike", "fat_finger", "crossed_quote", "stale"]) {
    assert.ok(s.labels[kind] > 0, `${kind} injected`);
    assert.equal(s.anomalies_by_kind[kind], s.labels[kind], `${kind}: flagged = injected`);
  }
  assert.ok(s.anomalies_by_kind.volume_burst >= 0.9 * s.labels.volume_burst);
  const lines = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, s.anomalies);
  for (const a of lines) {
    for (const k of ["symbol", "time", "seq", "score", "kind"]) assert.ok(k in a, k);
    assert.match(a.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  }
  const clean = lastJson<{ anomalies: number; ticks: number }>(
    await tickwire([...start, "--quiet"]),
  );
  assert.ok(clean.anomalies <= 20, `${clean.anomalies} flags on 300,000 clean ticks`);
  const off = lastJson<{ anomalies: number }>(
    await tickwire([...start, "--anomalies", "0.0005", "--no-anomaly", "--quiet"]),
  );
  assert.equal(off.anomalies, 0, "--no-anomaly turns flagging off");
});
