// deno bench: ITCH 5.0 parse + order books on a full day (three LOBSTER days
// as ITCH, 248,599 messages) on one thread; messages per second = messages /
// (time per iteration). One stage per isolate, as in the pipeline Worker
// (the stage with the tick consumer behind it is in itch_consumer_bench.ts:
// two stages in one isolate make V8's call sites polymorphic and slower).
import { loadItchDay } from "./lib/itch_day.ts";
import { ItchStage } from "../src/feeds/itch/stage.ts";

const day = await loadItchDay();
const stage = new ItchStage({ date: "2012-06-21", check: true, maxOrders: 1_000_000 }, () => {});

// The floor, in the same run: walking the same packets' message blocks and
// counting type bytes, with no parsing, books or ticks.
const seen = new Float64Array(256);
Deno.bench(`baseline: walk the message blocks only, ${day.messages} messages`, () => {
  const { bytes, offs, lens } = day;
  for (let i = 0; i < offs.length; i++) {
    const end = offs[i] + lens[i];
    for (let p = offs[i] + 20; p + 2 <= end; p += 2 + ((bytes[p] << 8) | bytes[p + 1])) {
      seen[bytes[p + 2]]++;
    }
  }
});

// warm-up long enough for V8 to settle on optimized code (a day is 30-40 ms)
Deno.bench({
  name: `itch: parse + books, ${day.messages} messages per iteration`,
  warmup: 30,
  n: 100,
  fn(b) {
    stage.reset(); // forgetting the previous replay's orders is not timed
    const { bytes, offs, lens } = day;
    b.start();
    for (let i = 0; i < offs.length; i++) stage.onRecord(bytes, offs[i], lens[i], 0, 0, 0);
    b.end();
  },
});
