/**
 * The event ring between the pipeline Worker and the main thread: events
 * that may be dropped (ticks for subscribers) never take the room of those
 * that must not (bars), so a lagging reader makes ticks drop, not the
 * Worker wait.
 */
import assert from "node:assert/strict";
import { createRing, RingConsumer } from "../src/ring/ring.ts";
import { Ev, EventWriter, TICK } from "../src/pipeline/events.ts";
import { EventReader } from "../src/pipeline/event_reader.ts";
import { BAR, BarFlag, decodeBar } from "../src/bars/bar.ts";

Deno.test("events: droppable ticks fill at most half the ring; bars still fit at once", () => {
  const ring = createRing(1 << 16, 4096), w = new EventWriter(ring);
  let ticks = 0;
  for (let at; (at = w.tryReserve(TICK.bytes)) >= 0; ticks++) {
    w.f64[at] = Ev.trade;
    w.commit(TICK.bytes);
  }
  assert.ok(ticks > 0 && ticks * (TICK.bytes + 16) <= (1 << 16) / 2 + 512, `${ticks} ticks`);
  // a bar must not wait (nobody reads this ring: a wait would hang the test)
  const rec = new Float64Array(BAR.slots);
  for (let i = 0; i < 100; i++) w.bar(rec);
  assert.equal(w.waits, 0);
  w.flush();
  let bars = 0, seen = 0;
  new EventReader(new RingConsumer(ring)).poll({ bar: () => bars++, tick: () => seen++ });
  assert.deepEqual([bars, seen], [100, ticks]);
});

Deno.test("decodeBar: every slot of the BAR layout, by name (none forgotten when the layout grows)", () => {
  const f = new Float64Array(BAR.slots + 3);
  BAR.fields.forEach((k, n) => (f[3 + BAR.slot[k]] = n + 10));
  f[3 + BAR.slot.flags] = BarFlag.final | BarFlag.filled;
  const b = decodeBar(f, 3) as unknown as Record<string, number | boolean>;
  for (const k of BAR.fields) {
    if (k === "kind" || k === "flags") continue;
    assert.equal(b[k], BAR.fields.indexOf(k) + 10, k);
  }
  assert.deepEqual([b.final, b.filled], [true, true]);
  assert.equal(Object.keys(b).length, BAR.fields.length - 2 + 2);
});
