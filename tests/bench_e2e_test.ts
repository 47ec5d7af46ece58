/**
 * The end-to-end benchmark harness runs and writes the report shape that
 * acceptance checks read. No timing is asserted here (timings belong in
 * the benchmark itself); only that every pipeline was driven, every tick
 * sent was received or counted as dropped, and a subscriber of one symbol
 * got every one of its trades at a gentle rate.
 */
import assert from "node:assert/strict";
import { deno, isRoot, tempDir } from "./helpers.ts";
import { hasDpdk } from "../src/native/lib.ts";

Deno.test("bench:e2e writes the JSON report and Markdown with every kind of row", async () => {
  await using t = await tempDir();
  const json = `${t.dir}/e2e.json`;
  const r = await deno("bench/e2e.ts", [
    "--quick",
    ...["--rates", "5000", "--seconds", "1", "--json", json],
    ...["--capacity-ticks", "200000", "--fanout", "20", "--idle-seconds", "1"],
  ], { timeoutMs: 400_000 });
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(await Deno.readTextFile(json));
  assert.equal(typeof rep.machine.cpus, "number");
  const names = new Set(rep.rows.map((e: { pipeline: string }) => e.pipeline));
  assert.ok(names.has("tickwire-udp") && names.has("baseline"));
  if (hasDpdk() && isRoot()) assert.ok(names.has("tickwire-dpdk"));
  for (const e of rep.rows) {
    for (const h of ["wire_to_bar_ns", "wire_to_subscriber_ns", "rx_to_bar_ns"]) {
      const p = e[h];
      assert.ok(p.p50 <= p.p99 && p.p99 <= p.max, h);
    }
    assert.equal(e.sent, e.received + e.drops, "every tick sent is received or counted as dropped");
    assert.ok(e.cpu_s_per_m_ticks > 0 && e.rss_peak_bytes > 0);
  }
  const one = rep.rows.filter((e: { pipeline: string; scope: string; load_clients: number }) =>
    e.pipeline === "tickwire-udp" && e.scope === "one" && e.load_clients === 0
  );
  assert.ok(one.length >= 1);
  for (const e of one) {
    assert.ok(e.subscriber_expected > 0);
    assert.equal(e.subscriber_trades, e.subscriber_expected, "the subscriber got every trade");
  }
  assert.ok(
    rep.rows.some((e: { load_clients: number; load_open: number }) =>
      e.load_clients === 20 && e.load_open === 20
    ),
  );
  assert.equal(rep.idle.length, 2);
  if (hasDpdk()) {
    assert.deepEqual(rep.capacity.map((c: { stage: string }) => c.stage), ["bars", "bars+anomaly"]);
    for (const c of rep.capacity) assert.deepEqual([c.ticks, c.drops], [200_000, 0]);
    // a replay waits for the scorer: every tick's row is scored
    const m = rep.capacity[1].model as { rows_scored: number; rows_dropped: number };
    assert.deepEqual([m.rows_scored, m.rows_dropped], [200_000, 0]);
  }
  const md = await Deno.readTextFile(`${t.dir}/e2e.md`);
  assert.match(md, /## Where the time goes/);
  if (hasDpdk()) assert.match(md, /\| bars\+anomaly \| 200000 \| 0 \| 200000 \/ 0 \|/);
  assert.match(md, /## Targets \(issue 13\), this run/);
});

Deno.test("the benchmarks answer --help and refuse a bad command line without a stack trace", async () => {
  for (
    const [file, name] of [
      ["bench/e2e.ts", "bench:e2e"],
      ["bench/idle_latency.ts", "bench:idle"],
      ["bench/cluster.ts", "bench:cluster"],
    ]
  ) {
    const help = await deno(file, ["--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: deno task /);
    assert.match(help.stdout, /--help +print this help/);
    for (const [args, why] of [[["--bogus"], /Unknown option '--bogus'/], [["--json"], /--json/]]) {
      const r = await deno(file, args as string[]);
      assert.equal(r.code, 2, `${file} ${args}: ${r.stderr}`);
      assert.ok(r.stderr.startsWith(`${name}: `), r.stderr);
      assert.match(r.stderr, why as RegExp);
      assert.doesNotMatch(r.stderr, /Uncaught|at file:/);
    }
  }
  const bad = await deno("bench/e2e.ts", ["--rates", "10k"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--rates: expected a whole number from 0 to 1000000000, got '10k'/);
});
