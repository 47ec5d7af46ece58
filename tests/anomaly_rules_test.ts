import { logSize } from "../src/anomaly/log_size.ts";
import assert from "node:assert/strict";
import { AnomalyRules } from "../src/anomaly/rules.ts";
import { FrameReader } from "../src/wire/frame.ts";
import { encodeFrame, type TickInput } from "../src/wire/encode.ts";
import { importLobster, lastJson, lobsterFile, tempDir, tickwire } from "./helpers.ts";

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
    assert.equal(
      r.trade(
        0,
        tick({
          sec: 1000 + Math.floor(i / 10),
          nsec: (i % 10) * 1e8,
          price: 1_000_000 + (i % 3) * 100,
        }),
      ),
      false,
    );
  }
  assert.equal(r.trade(0, tick({ sec: 1007, price: 1_070_000 })), true);
  assert.deepEqual([r.kind, Math.round(r.score)], [1, 7], "7 % away: price spike");
  assert.equal(r.trade(0, tick({ sec: 1007, price: 10_000_000 })), true);
  assert.equal(r.kind, 2, "x10: fat finger");
  assert.equal(r.trade(0, tick({ sec: 1007, size: 5000 })), false, "one large print is ordinary");
  assert.equal(r.trade(0, tick({ sec: 1007, size: 5000 })), false);
  assert.equal(r.trade(0, tick({ sec: 1007, size: 5000 })), true);
  assert.equal(r.kind, 3, "the third 50x print within 2 s: volume burst");
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
  // a thinly traded symbol is not stale after an ordinary pause
  const thin = new AnomalyRules(1);
  for (let i = 0; i < 20; i++) thin.trade(0, tick({ sec: 1000 + i * 30 }));
  assert.equal(thin.trade(0, tick({ sec: 1000 + 19 * 30 + 60 })), false);
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
  assert.ok(s.anomalies_by_kind.volume_burst >= 0.8 * s.labels.volume_burst);
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

Deno.test("a real trading day: a 7 % print and a burst of large prints are flagged within 2 s, ordinary trading stays quiet", async () => {
  await using t = await tempDir();
  const rows = (await Deno.readTextFile(lobsterFile("AMZN"))).trim()
    .split("\n");
  // Find a trade around 11:00 local (39600 s) and inject after it.
  const at = rows.findIndex((r) => Number(r.split(",")[0]) > 39600 && /^[^,]*,[45],/.test(r));
  const [time, , , , price] = rows[at].split(",");
  const t0 = Number(time);
  const spike = `${(t0 + 0.5).toFixed(9)},4,999,100,${Math.round(Number(price) * 1.07)},-1`;
  const burst = [1, 2, 3, 4, 5].map((k) =>
    `${(t0 + 10 + k * 0.2).toFixed(9)},4,${1000 + k},20000,${price},-1`
  );
  const injected = [...rows.slice(0, at + 1), spike, ...rows.slice(at + 1)];
  const after = injected.findIndex((r) => Number(r.split(",")[0]) > t0 + 10);
  injected.splice(after, 0, ...burst);
  const csv = `${t.dir}/amzn.csv`, cap = `${t.dir}/amzn.pcap`, out = `${t.dir}/an.ndjson`;
  await Deno.writeTextFile(csv, injected.join("\n") + "\n");
  const imp = await importLobster(csv, "AMZN", cap);
  assert.equal(imp.code, 0, imp.stderr);
  const s = lastJson<{ anomalies: number; trades: number }>(
    await tickwire([
      "--feed",
      "pcap",
      "--pcap",
      cap,
      "--exit-on-eof",
      "--no-http",
      "--quiet",
      "--anomalies-out",
      out,
    ]),
  );
  const flags = (await Deno.readTextFile(out)).trim().split("\n").filter((l) => l).map((l) =>
    JSON.parse(l)
  );
  assert.equal(flags.length, s.anomalies, "every anomaly is in the file");
  const midnight = Date.UTC(2012, 5, 21, 4) / 1000;
  const secOf = (iso: string) => Date.parse(iso) / 1000 - midnight;
  const spikeFlag = flags.find((f) => f.kind === "price_spike" || f.kind === "fat_finger");
  assert.ok(spikeFlag, "the 7 % print is flagged");
  assert.ok(Math.abs(secOf(spikeFlag.time) - (t0 + 0.5)) <= 2);
  const burstFlag = flags.find((f) => f.kind === "volume_burst" && secOf(f.time) >= t0 + 10);
  assert.ok(burstFlag, "the burst of large prints is flagged");
  assert.ok(secOf(burstFlag.time) - (t0 + 10.2) <= 2, "within 2 s of event time");
  // ordinary trading: the rest of the 6.5-hour day raises fewer than 5 flags an hour
  const ordinary = flags.filter((f) =>
    f !== spikeFlag &&
    !(f.kind === "volume_burst" && secOf(f.time) >= t0 + 10 && secOf(f.time) <= t0 + 12)
  );
  assert.ok(ordinary.length < 5 * 6.5, `${ordinary.length} ordinary flags`);
});

Deno.test("logSize: the same value as Math.log for every size, table or not", () => {
  for (let s = -2; s < 10_000; s++) {
    assert.ok(Object.is(logSize(s), Math.log(s > 0 ? s : 1)), `size ${s}`);
  }
  for (const s of [4095.5, 65_536, 4_294_967_295, 1e15, 0.25]) {
    assert.ok(Object.is(logSize(s), Math.log(s)), `size ${s}`);
  }
});
