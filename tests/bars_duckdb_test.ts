/**
 * Bars from the real pipeline (DPDK net_pcap receive, or the pcap feed on
 * machines without DPDK; C ring, Worker, aggregator, --bars-out) against the
 * same bars computed by DuckDB straight from the LOBSTER CSV files: an
 * independent engine on real data.
 */
import assert from "node:assert/strict";
// Test-only packages are kept out of deno.json, so that `deno task run` never installs them.
// deno-lint-ignore no-import-prefix
import { DuckDBInstance } from "npm:@duckdb/node-api@1.5.0-r.1";
import { hasDpdk } from "../src/native/lib.ts";
import { nyMidnightUtc } from "../src/feeds/lobster.ts";
import type { BarJson } from "../src/server/messages.ts";
import { importLobster, lastJson, lobsterFile, tempDir, tickwire } from "./helpers.ts";

const WINDOWS: [string, number][] = [["1s", 1000], ["1m", 60_000], ["5m", 300_000], [
  "1h",
  3_600_000,
]];
const DAYS = ["AAPL", "AMZN", "GOOG"];

/** A line of --bars-out. */
type Bar = BarJson;

async function duckBars(csv: string, windowMs: number, midnightMs: number) {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const sql = `
    WITH raw AS (
      SELECT row_number() OVER () AS rn, *
      FROM read_csv('${csv}', header = false, auto_detect = false,
        columns = {'t': 'VARCHAR', 'type': 'INTEGER', 'oid': 'BIGINT', 'size': 'BIGINT',
                   'price': 'BIGINT', 'dir': 'INTEGER'})
    ), trades AS (
      SELECT rn, size, price, dir,
        CAST(split_part(t, '.', 1) AS BIGINT) * 1000
          + CAST(substr(rpad(coalesce(nullif(split_part(t, '.', 2), ''), '0'), 3, '0'), 1, 3) AS BIGINT)
          + ${midnightMs} AS ms
      FROM raw WHERE type IN (4, 5)
    )
    SELECT (ms // ${windowMs}) * ${windowMs} AS start,
      arg_min(price, rn) AS open, max(price) AS high, min(price) AS low, arg_max(price, rn) AS close,
      sum(size) AS volume, count(*) AS trades, sum(price * size) / sum(size) AS vwap,
      -- LOBSTER's direction is the resting order's: a resting sell (-1) met a buyer
      coalesce(sum(size) FILTER (WHERE dir = -1), 0) AS buy_volume,
      coalesce(sum(size) FILTER (WHERE dir = 1), 0) AS sell_volume
    FROM trades GROUP BY 1 ORDER BY 1`;
  const rows = (await con.runAndReadAll(sql)).getRowObjects();
  con.closeSync();
  db.closeSync();
  return rows.map((r) => ({
    start: Number(r.start),
    open: Number(r.open) / 10000,
    high: Number(r.high) / 10000,
    low: Number(r.low) / 10000,
    close: Number(r.close) / 10000,
    volume: Number(r.volume),
    buy_volume: Number(r.buy_volume),
    sell_volume: Number(r.sell_volume),
    trades: Number(r.trades),
    vwap: Number(r.vwap) / 10000,
  }));
}

const dpdk = hasDpdk();

/** How the capture reaches the pipeline: DPDK net_pcap, or the pcap feed (no DPDK needed). */
const FEEDS: { name: string; ignore: boolean; args: (cap: string) => string[] }[] = [
  {
    name: "DPDK",
    ignore: !dpdk,
    args: (cap) => [
      "--feed",
      "dpdk",
      "--eal",
      `--no-huge --no-pci --no-shconf -m 512 --vdev=net_pcap0,rx_pcap=${cap}`,
      "--exit-on-eof",
    ],
  },
  { name: "the pcap feed", ignore: false, args: (cap) => ["--feed", "pcap", "--pcap", cap] },
];

/** Every bar of every window equals DuckDB's. */
async function compare(sym: string, csv: string, bars: Bar[]): Promise<void> {
  const midnight = nyMidnightUtc("2012-06-21") * 1000;
  for (const [w, ms] of WINDOWS) {
    const ours = bars.filter((b) => b.window === w).sort((a, b) => a.start.localeCompare(b.start));
    const theirs = await duckBars(csv, ms, midnight);
    assert.ok(theirs.length > 0);
    assert.equal(ours.length, theirs.length, `${w}: number of bars`);
    for (const [i, d] of theirs.entries()) {
      const b = ours[i];
      const ctx = `${sym} ${w} bar ${b.start}`;
      assert.equal(Date.parse(b.start), d.start, ctx);
      assert.equal(Date.parse(b.end), d.start + ms, ctx);
      assert.equal(b.symbol, sym);
      assert.deepEqual(
        [b.open, b.high, b.low, b.close, b.volume, b.trades, b.buy_volume, b.sell_volume],
        [d.open, d.high, d.low, d.close, d.volume, d.trades, d.buy_volume, d.sell_volume],
        ctx,
      );
      assert.ok(Math.abs(b.vwap - d.vwap) <= 1e-9 * d.vwap, `${ctx}: vwap ${b.vwap} vs ${d.vwap}`);
      assert.equal(b.final, true);
      assert.equal(b.revision, 0);
    }
  }
}

/** What the capture carries: tickwire frames of the trades, or every row as ITCH over MoldUDP64. */
const FORMATS: { name: string; imp: string[]; run: string[] }[] = [
  { name: "tickwire frames", imp: [], run: [] },
  { name: "ITCH 5.0", imp: ["--format", "itch"], run: ["--protocol", "itch"] },
];

for (const feed of FEEDS) {
  for (const sym of DAYS) {
    for (const fmt of FORMATS) defineDay(feed, sym, fmt);
  }
}

function defineDay(feed: typeof FEEDS[number], sym: string, fmt: typeof FORMATS[number]) {
  Deno.test({
    name:
      `${sym} 2012-06-21 as ${fmt.name} through ${feed.name}: every 1s/1m/5m/1h bar equals DuckDB's`,
    ignore: feed.ignore || (fmt.imp.length > 0 && feed.name !== "DPDK" && dpdk),
    async fn() {
      await using t = await tempDir();
      const csv = lobsterFile(sym);
      const cap = `${t.dir}/${sym}.pcap`, out = `${t.dir}/${sym}.ndjson`;
      const imp = await importLobster(csv, sym, cap, "2012-06-21", fmt.imp);
      assert.equal(imp.code, 0, imp.stderr);
      const run = await tickwire([
        ...feed.args(cap),
        ...fmt.run,
        "--windows",
        WINDOWS.map(([w]) => w).join(","),
        "--bars-out",
        out,
        "--no-http",
        "--quiet",
        "--no-anomaly",
      ]);
      assert.equal(run.code, 0, run.stderr);
      const s = lastJson<Record<string, number>>(run);
      assert.deepEqual([s.malformed, s.gaps, s.ring_drops, s.late], [0, 0, 0, 0]);
      const lines = (await Deno.readTextFile(out)).trim().split("\n");
      const bars: Bar[] = lines.map((l) => JSON.parse(l));
      assert.equal(bars.length, s.bars);
      await compare(sym, csv, bars);
    },
  });
}
