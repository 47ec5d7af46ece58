// deno bench: ITCH 5.0 parse + order books + the tick consumer (bars) behind
// it, on a full day (three LOBSTER days as ITCH, 248,599 messages), one
// thread; compare with itch_bench.ts (parse + books alone).
import { loadItchDay } from "./lib/itch_day.ts";
import { ItchStage } from "../src/feeds/itch/stage.ts";
import { TickConsumer } from "../src/pipeline/consumer.ts";

const day = await loadItchDay();
const consumer = new TickConsumer({ maxSymbols: 16 });
const stage = new ItchStage(
  { date: "2012-06-21", check: true, maxOrders: 1 << 17 },
  consumer.onRecord,
);

Deno.bench(`itch: parse + books + tick consumer, ${day.messages} messages`, (b) => {
  consumer.seq.reset();
  stage.reset(); // not timed
  const { bytes, offs, lens } = day;
  b.start();
  for (let i = 0; i < offs.length; i++) stage.onRecord(bytes, offs[i], lens[i], 0, 0, 0);
  b.end();
});
