import assert from "node:assert/strict";
import { lastJson, ROOT, tempDir, tickwire } from "./helpers.ts";

Deno.test("deno task train reproduces the committed model byte for byte", async () => {
  await using t = await tempDir();
  const meta = JSON.parse(await Deno.readTextFile(`${ROOT}src/anomaly/model/anomaly.json`));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}src/anomaly/train.ts`, "--seed", String(meta.seed), "--out", t.dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.deepEqual(
    await Deno.readFile(`${t.dir}/anomaly.onnx`),
    await Deno.readFile(`${ROOT}src/anomaly/model/anomaly.onnx`),
  );
  const again = JSON.parse(await Deno.readTextFile(`${t.dir}/anomaly.json`));
  assert.equal(again.threshold, meta.threshold);
  assert.equal(again.sha256, meta.sha256);
  for (const k of ["recipe", "data", "seed", "target_false_alarm_rate"]) assert.ok(k in meta, k);
});

Deno.test("every tick gets one score, off the hot path; flags carry the features", async () => {
  await using t = await tempDir();
  const out = `${t.dir}/a.ndjson`;
  const s = lastJson<{ ticks: number; model: Record<string, number> }>(
    await tickwire([
      "--count",
      "200000",
      "--rate",
      "100000",
      "--anomalies",
      "0.001",
      "--no-http",
      "--quiet",
      "--anomalies-out",
      out,
    ]),
  );
  assert.equal(s.model.rows_written, s.ticks, "one row per tick");
  assert.equal(s.model.rows_scored + s.model.rows_dropped, s.ticks);
  assert.equal(s.model.rows_dropped, 0, "at this rate the scorer keeps up");
  assert.equal(s.model.inference_errors, 0);
  assert.ok(
    s.model.batches > 1 && s.model.batches < s.ticks / 10,
    `micro-batches: ${s.model.batches}`,
  );
  const model = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l)).filter((
    a,
  ) => a.kind === "unexplained");
  for (const a of model) {
    assert.equal(Object.keys(a.features).length, 8);
    assert.ok(a.score > 0);
  }
});

Deno.test("a missing or corrupt model is a clear error at start; --no-model runs the rules only", async () => {
  await using t = await tempDir();
  const miss = await tickwire(["--model", `${t.dir}/nope.onnx`, "--count", "100"]);
  assert.equal(miss.code, 2);
  assert.match(miss.stderr, /anomaly model .*nope\.onnx cannot be read.*deno task train/);
  await Deno.writeTextFile(`${t.dir}/bad.onnx`, "not a model");
  await Deno.copyFile(`${ROOT}src/anomaly/model/anomaly.json`, `${t.dir}/bad.json`);
  const bad = await tickwire(["--model", `${t.dir}/bad.onnx`, "--count", "100"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /is corrupt or not a tickwire model/);
  const off = lastJson<{ model: unknown; ticks: number }>(
    await tickwire(["--no-model", "--count", "1000", "--rate", "0", "--quiet"]),
  );
  assert.equal(off.model, null);
  assert.equal(off.ticks, 1000);
});
