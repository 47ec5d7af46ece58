// deno bench: ITCH 5.0 parse + order books on a full day (three LOBSTER days
// as ITCH, 225k messages), one thread, with and without the tick consumer
// behind it. Messages per second = messages / (time per iteration).
import { loadItchDay } from "./lib/itch_day.ts";
import { ItchStage } from "../src/feeds/itch/stage.ts";
import { TickConsumer } from "../src/pipeline/consumer.ts";

const day = await loadItchDay();
const opts = { date: "2012-06-21", check: true, maxOrders: 1 << 17 };
const bookOnly = new ItchStage(opts, () => {});
const consumer = new TickConsumer({ maxSymbols: 16 });
const full = new ItchStage(opts, consumer.onRecord);

function replay(stage: ItchStage): void {
  stage.reset();
  const { bytes, offs, lens } = day;
  for (let i = 0; i < offs.length; i++) stage.onRecord(bytes, offs[i], lens[i], 0, 0, 0);
}

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
Deno.bench(`itch: parse + books, ${day.messages} messages per iteration`, () => replay(bookOnly));
Deno.bench(`itch: parse + books + tick consumer, ${day.messages} messages`, () => {
  consumer.seq.reset();
  replay(full);
});
