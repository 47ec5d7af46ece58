import assert from "node:assert/strict";
import { lastJson, ROOT, startUdpTickwire, tempDir, tickwire } from "./helpers.ts";
import { encodeFrame } from "../src/wire/encode.ts";

Deno.test("SIGINT flushes every open window as final into --bars-out", async () => {
  await using t = await tempDir();
  const out = `${t.dir}/bars.ndjson`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}src/main.ts`,
      "--windows",
      "1s,1h",
      "--bars-out",
      out,
      "--quiet",
      "--rate",
      "20000",
      "--no-http",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await new Promise((r) => setTimeout(r, 2500));
  child.kill("SIGINT");
  const o = await child.output();
  assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
  const s = JSON.parse(new TextDecoder().decode(o.stdout));
  const lines = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, s.bars);
  assert.equal(lines.length, s.bars_out_lines);
  assert.ok(lines.every((b) => b.final));
  // the hour bar cannot have ended: only the flush on exit made it final
  const hourly = lines.filter((b) => b.window === "1h");
  assert.equal(hourly.length, s.symbols);
  assert.equal(hourly.reduce((a, b) => a + b.trades, 0), s.trades, "every trade is in a final bar");
  assert.ok(s.bar_state_bytes > 0, "bar memory is reported");
});

Deno.test("bad bar options are usage errors", async () => {
  for (
    const [args, msg] of [
      [["--windows", "1s,fast"], /--windows: 'fast' is not a duration/],
      [["--windows", "2d"], /must be from 1ms to 1d/],
      [["--windows", "1s,1s"], /given twice/],
      [["--lateness", "5m", "--windows", "1s"], /--lateness: at most 63 times/],
      [["--fill", "zero"], /--fill: expected one of none, prev/],
    ] as [string[], RegExp][]
  ) {
    const r = await tickwire(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, msg);
  }
  const r = await tickwire(["--bars-out", "/nonexistent-dir/x.ndjson", "--count", "10"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--bars-out: cannot write/);
});

async function quietFeed(
  extra: string[],
): Promise<{ during: number; summary: Record<string, number> }> {
  await using t = await tempDir();
  const out = `${t.dir}/bars.ndjson`;
  const { bg, port } = startUdpTickwire(["--windows", "1s", "--bars-out", out, ...extra]);
  await bg.ready;
  const now = Date.now();
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const frame = encodeFrame({
    session: 3,
    firstSeq: 1,
    ticks: [{
      sec: Math.floor(now / 1000),
      nsec: (now % 1000) * 1e6,
      symbol: "Q",
      kind: 1,
      price: 5,
      size: 1,
    }],
  });
  await sock.send(frame, { transport: "udp", hostname: "127.0.0.1", port });
  sock.close();
  await new Promise((r) => setTimeout(r, 2500)); // then silence
  const during = (await Deno.readTextFile(out)).trim().split("\n").filter((l) => l).length;
  const summary = lastJson<Record<string, number>>(await bg.stop());
  return { during, summary };
}

Deno.test("--idle-close: a quiet feed's bars close on the wall clock", async () => {
  const on = await quietFeed(["--idle-close", "500ms"]);
  assert.equal(on.during, 1, "the bar was final while the feed was still quiet");
  assert.equal(on.summary.bars, 1);
  const off = await quietFeed([]);
  assert.equal(off.during, 0, "without it the bar waits for more ticks (or the exit)");
  assert.equal(off.summary.bars, 1, "and is flushed at exit");
});
