import assert from "node:assert/strict";
import { createRing, RingConsumer } from "../src/ring/ring.ts";
import { type BarEvent, EventWriter, type LateEvent } from "../src/pipeline/events.ts";
import { EventReader } from "../src/pipeline/event_reader.ts";
import { BarAggregator } from "../src/bars/aggregator.ts";
import type { BarOptions } from "../src/bars/options.ts";
import { TickConsumer } from "../src/pipeline/consumer.ts";
import { encodeFrame, type TickInput } from "../src/wire/encode.ts";
import { formatIso, isoNs, parseDuration } from "../src/time.ts";
import { C } from "../src/pipeline/counters.ts";

const T0 = 1_700_000_000; // seconds
const MIN = Math.floor(T0 / 60) * 60; // start of a minute, seconds

/** A real consumer + aggregator + event ring, driven with encoded frames. */
function pipeline(o: Partial<BarOptions> = {}) {
  const ring = createRing(1 << 22, 4096);
  const writer = new EventWriter(ring);
  const opts: BarOptions = {
    windowsMs: [60_000],
    latenessMs: 0,
    alignOffsetMs: 0,
    fill: false,
    maxSymbols: 64,
    ...o,
  };
  const bars = new BarAggregator(opts, writer);
  const consumer = new TickConsumer({ maxSymbols: opts.maxSymbols, bars, events: writer });
  const reader = new EventReader(new RingConsumer(ring));
  const names: string[] = [], out: BarEvent[] = [], late: LateEvent[] = [];
  let seq = 1;
  const drain = () => {
    writer.flush();
    reader.poll({
      symbol: (i, n) => (names[i] = n),
      bar: (b) => out.push(b),
      late: (l) => late.push(l),
    });
  };
  return {
    bars,
    consumer,
    names,
    out,
    late,
    /** Sends trades (sec offsets from MIN, nsec), one frame each. */
    trade(symbol: string, sec: number, nsec: number, price: number, size = 1) {
      const t: TickInput = { sec: MIN + sec, nsec, symbol, kind: 1, price, size };
      const b = encodeFrame({ session: 1, firstSeq: seq++, ticks: [t] });
      consumer.onRecord(b, 0, b.length, 0, 0, 0);
      drain();
    },
    end() {
      bars.flush();
      drain();
    },
    final(sym?: string) {
      return out.filter((b) => b.final && (sym === undefined || names[b.symbol] === sym));
    },
  };
}

Deno.test("durations and ISO times", () => {
  assert.equal(parseDuration("1ms"), 1);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  assert.equal(parseDuration("13h30m"), 48_600_000);
  assert.throws(() => parseDuration("5 minutes"), RangeError);
  assert.throws(() => parseDuration("m5"), RangeError);
  assert.equal(formatIso(Date.UTC(2012, 5, 21, 13, 30)), "2012-06-21T13:30:00Z");
  assert.equal(formatIso(Date.UTC(2012, 5, 21, 13, 30) + 5), "2012-06-21T13:30:00.005Z");
  assert.equal(isoNs(1340285400, 4_241_176), "2012-06-21T13:30:00.004241176Z");
  // trailing zeros trimmed, leading kept; the cached second follows the argument
  const cases: [number, number, string][] = [
    [1340285400, 0, "2012-06-21T13:30:00Z"],
    [1340285400, 1, "2012-06-21T13:30:00.000000001Z"],
    [1340285401, 500_000_000, "2012-06-21T13:30:01.5Z"],
    [1340285400, 999_999_999, "2012-06-21T13:30:00.999999999Z"],
    [1340285400, 10_000, "2012-06-21T13:30:00.00001Z"],
    [-1, 120_000_000, "1969-12-31T23:59:59.12Z"],
  ];
  for (const [sec, nsec, iso] of cases) assert.equal(isoNs(sec, nsec), iso);
});

Deno.test("window boundaries to the nanosecond: [start, end), labelled by start", () => {
  const p = pipeline();
  p.trade("A", 59, 999_999_999, 100); // last ns of minute 0
  p.trade("A", 60, 0, 200); // first ns of minute 1
  p.end();
  const b = p.final("A");
  assert.equal(b.length, 2);
  assert.deepEqual([b[0].start, b[0].end, b[0].close], [MIN * 1000, MIN * 1000 + 60_000, 100]);
  assert.deepEqual([b[1].start, b[1].open], [MIN * 1000 + 60_000, 200]);
});

Deno.test("ties in timestamp keep arrival order; out-of-order ticks inside an open bar fold in", () => {
  const p = pipeline();
  p.trade("A", 10, 5, 101);
  p.trade("A", 10, 5, 102);
  p.trade("A", 10, 5, 103);
  p.trade("A", 3, 0, 99); // earlier in time, same (still open) bar: the new open
  p.end();
  const [b] = p.final("A");
  assert.deepEqual([b.open, b.high, b.low, b.close, b.trades, b.volume], [99, 103, 99, 103, 4, 4]);
  assert.equal(p.late.length, 0);
  assert.deepEqual([b.firstSeq, b.lastSeq], [1, 4]);
});

Deno.test("without lateness a tick for a final bar is a counted late event, the bar is untouched", () => {
  const p = pipeline();
  p.trade("A", 10, 0, 100);
  p.trade("A", 70, 0, 110); // watermark passes the first bar's end: it is final
  assert.equal(p.final("A").length, 1);
  p.trade("A", 20, 0, 500); // belongs to the final bar
  p.end();
  assert.equal(p.late.length, 1);
  assert.equal(p.late[0].price, 500);
  assert.equal(p.bars.lateBySymbol[0], 1);
  assert.equal(p.consumer.counters[C.late], 1);
  const b = p.final("A");
  assert.equal(b.length, 2);
  assert.equal(b[0].high, 100, "the late price did not leak into the bar");
});

Deno.test("lateness: provisional at the window end, revised by late ticks, final after the lateness", () => {
  const p = pipeline({ latenessMs: 30_000 });
  p.trade("A", 10, 0, 100);
  p.trade("A", 65, 0, 110); // watermark 65 s: bar 0 ended, lateness not over
  let b0 = p.out.filter((b) => b.start === MIN * 1000);
  assert.equal(b0.length, 1);
  assert.deepEqual([b0[0].final, b0[0].revision], [false, 0]);
  p.trade("A", 30, 0, 90); // late but within the lateness: revises bar 0
  b0 = p.out.filter((b) => b.start === MIN * 1000);
  assert.deepEqual([b0[1].final, b0[1].revision, b0[1].low, b0[1].trades], [false, 1, 90, 2]);
  p.trade("A", 95, 0, 120); // watermark 95 s >= 60 + 30: bar 0 final, with its revision
  const f0 = p.final("A").filter((b) => b.start === MIN * 1000);
  assert.equal(f0.length, 1);
  assert.deepEqual(
    [f0[0].revision, f0[0].open, f0[0].low, f0[0].close],
    [1, 100, 90, 90],
    "90 came later in time",
  );
  p.trade("A", 40, 0, 1); // beyond the lateness: late event
  assert.equal(p.late.length, 1);
  p.end();
  assert.equal(p.final("A").length, 2);
});

Deno.test("quiet symbols still close on the feed's watermark", () => {
  const p = pipeline();
  p.trade("QUIET", 5, 0, 100);
  p.trade("BUSY", 10, 0, 50);
  assert.equal(p.final("QUIET").length, 0);
  p.trade("BUSY", 61, 0, 51); // only BUSY trades, yet QUIET's bar is final now
  assert.equal(p.final("QUIET").length, 1);
  assert.equal(p.final("QUIET")[0].close, 100);
});

Deno.test("--fill prev: flat bars at the previous close, volume 0, flagged, in order", () => {
  const p = pipeline({ fill: true });
  p.trade("A", 10, 0, 100);
  p.trade("B", 10, 0, 7);
  for (let m = 1; m <= 3; m++) p.trade("B", m * 60 + 1, 0, 7 + m); // B trades every minute
  p.trade("A", 4 * 60 + 2, 0, 105); // A again in minute 4
  p.trade("B", 5 * 60 + 1, 0, 20);
  p.end();
  const a = p.final("A");
  assert.deepEqual(a.map((b) => (b.start / 1000 - MIN) / 60), [0, 1, 2, 3, 4]);
  assert.deepEqual(a.map((b) => b.filled), [false, true, true, true, false]);
  for (const f of a.filter((b) => b.filled)) {
    assert.deepEqual([f.open, f.high, f.low, f.close, f.volume, f.trades], [
      100,
      100,
      100,
      100,
      0,
      0,
    ]);
  }
  // without --fill, no empty bars at all
  const q = pipeline();
  q.trade("A", 10, 0, 100);
  q.trade("A", 4 * 60, 0, 101);
  q.end();
  assert.equal(q.final("A").length, 2);
});

Deno.test("several windows at once, aligned with an offset", () => {
  const p = pipeline({
    windowsMs: [1000, 60_000, 86_400_000],
    alignOffsetMs: parseDuration("13h30m"),
  });
  p.trade("A", 0, 0, 1);
  p.trade("A", 1, 0, 2);
  p.end();
  const byWin = (w: number) => p.final("A").filter((b) => b.window === w);
  assert.equal(byWin(0).length, 2);
  assert.equal(byWin(1).length, 1);
  const [day] = byWin(2);
  assert.equal(
    new Date(day.start).toISOString().slice(11, 19),
    "13:30:00",
    "daily bars start at 13:30 UTC",
  );
  assert.ok(day.start <= MIN * 1000 && MIN * 1000 < day.end);
});

Deno.test("many symbols, and a symbol capacity that is exceeded is counted", () => {
  const p = pipeline({ maxSymbols: 3000 });
  for (let i = 0; i < 3000; i++) p.trade(`S${i}`, 1, i, 100 + i);
  p.trade("S0", 61, 0, 1);
  assert.equal(p.final().length, 3000, "every symbol's bar closed");
  const small = pipeline({ maxSymbols: 4 });
  for (let i = 0; i < 6; i++) small.trade(`S${i}`, 1, 0, 100);
  small.end();
  assert.equal(small.consumer.counters[C.symbolOverflow], 2);
  assert.equal(small.final().length, 4);
});
