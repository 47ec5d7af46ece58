/**
 * The pipeline Worker's JIT warm-up runs the real stages on generated
 * frames, and leaves no trace in the memory the run shares with the main
 * thread: no counts, no symbols, no events, no feature rows, no latency.
 */
import assert from "node:assert/strict";
import { warmUp } from "../src/pipeline/warmup.ts";
import { createRing, RingConsumer } from "../src/ring/ring.ts";
import { createCounters } from "../src/pipeline/counters.ts";
import { createControl, type WorkerStart } from "../src/pipeline/protocol.ts";
import { HIST_SLOTS } from "../src/pipeline/latency.ts";
import { createInterest, createLatest } from "../src/pipeline/shared.ts";

function start(): WorkerStart {
  const maxSymbols = 128;
  return {
    type: "start",
    ring: createRing(1 << 20, 4096),
    counters: createCounters(),
    control: createControl(),
    idle: "sleep",
    spins: 0,
    sleepUs: 100,
    maxSymbols,
    latency: new Float64Array(new SharedArrayBuffer(HIST_SLOTS * 8)),
    wire: new Float64Array(new SharedArrayBuffer(HIST_SLOTS * 8)),
    wireLatency: true,
    latest: createLatest(maxSymbols),
    keepLatest: true,
    interest: createInterest(maxSymbols),
    anomaly: true,
    rows: createRing(4 << 20, 4096),
    rowsWait: true, // the warm-up must not wait for a scorer that is not there
    liveBarsMs: 0,
    events: createRing(1 << 20, 4096),
    bars: { windowsMs: [1000, 60_000], latenessMs: 0, alignOffsetMs: 0, fill: false, maxSymbols },
    idleCloseMs: 0,
    guard: { maxSkewMs: 0, live: true, maxSessions: 256, maxSeqJump: 1_000_000 },
  };
}

Deno.test("warm-up: every generated tick passes the real stages; the run's shared memory stays untouched", () => {
  const msg = start();
  const taken = warmUp(msg);
  assert.equal(taken, 96_000, "every warm-up tick was taken (none rejected as malformed or late)");
  const zero = (name: string, a: ArrayLike<number>) =>
    assert.ok(Array.prototype.every.call(a, (x: number) => x === 0), `${name} untouched`);
  zero("counters", msg.counters);
  zero("latency", msg.latency);
  zero("wire latency", msg.wire);
  zero("latest", msg.latest);
  zero("control", msg.control);
  for (const [name, ring] of [["events", msg.events], ["rows", msg.rows!]] as const) {
    assert.equal(new RingConsumer(ring).poll(() => {}, 1 << 20), 0, `no ${name} written`);
  }
});

Deno.test("warm-up: ITCH records have their own stage: nothing to warm here", () => {
  const msg = start();
  msg.itch = { date: "2012-06-21" } as WorkerStart["itch"];
  assert.equal(warmUp(msg), 0);
});
