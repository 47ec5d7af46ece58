/**
 * The end-to-end benchmark harness runs and writes the report shape that
 * acceptance checks read. No timing is asserted here (timings belong in
 * the benchmark itself); only that every pipeline was driven and counted.
 */
import assert from "node:assert/strict";
import { deno, isRoot, tempDir } from "./helpers.ts";
import { hasDpdk } from "../src/native/lib.ts";

Deno.test("bench:e2e writes the JSON report, Markdown table and SVG chart", async () => {
  await using t = await tempDir();
  const json = `${t.dir}/e2e.json`;
  const r = await deno("bench/e2e.ts", [
    "--quick",
    "--rates",
    "20000",
    "--seconds",
    "1",
    "--json",
    json,
  ], {
    timeoutMs: 300_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(await Deno.readTextFile(json));
  assert.equal(typeof rep.machine.cpus, "number");
  assert.ok(Array.isArray(rep.stages) && rep.stages.length >= 5);
  const names = new Set(rep.e2e.map((e: { pipeline: string }) => e.pipeline));
  assert.ok(names.has("tickwire-udp"));
  assert.ok(names.has("baseline-deno-udp-json"));
  if (hasDpdk() && isRoot()) assert.ok(names.has("tickwire-dpdk"));
  for (const e of rep.e2e) {
    for (const k of ["offered_rate", "achieved_rate", "drops"]) {
      assert.equal(typeof e[k], "number", k);
    }
    for (const k of ["p50", "p90", "p99", "p999", "max"]) {
      assert.equal(typeof e.latency_ns[k], "number", k);
    }
    assert.ok(e.latency_ns.p50 <= e.latency_ns.p99 && e.latency_ns.p99 <= e.latency_ns.max);
    assert.equal(e.sent, e.received + e.drops, "every tick sent is received or counted as dropped");
  }
  const md = await Deno.readTextFile(`${t.dir}/e2e.md`);
  assert.match(md, /\| pipeline \| offered ticks\/s/);
  const svg = await Deno.readTextFile(`${t.dir}/e2e.svg`);
  assert.match(svg, /^<svg/);
  assert.ok((svg.match(/<path /g) ?? []).length === rep.e2e.length);
});
