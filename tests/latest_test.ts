/**
 * The latest trade and quote per symbol (the `latest` table the server's
 * REST answers from): kept when a server reads it, not written at all
 * without one (`--no-http`), while every count stays the same.
 */
import assert from "node:assert/strict";
import { TickConsumer } from "../src/pipeline/consumer.ts";
import { createLatest, LATEST } from "../src/pipeline/shared.ts";
import { encodeFrame } from "../src/wire/encode.ts";
import { C } from "../src/pipeline/counters.ts";

const LS = LATEST.slot;

function feed(keepLatest: boolean) {
  const latest = createLatest(8);
  const c = new TickConsumer({ maxSymbols: 8, latest, keepLatest });
  const sec = Math.floor(Date.now() / 1000) - 5;
  const frame = encodeFrame({
    session: 1,
    firstSeq: 1,
    ticks: [
      { sec, nsec: 10, symbol: "AAPL", kind: 1, price: 1_900_000, size: 7, side: 1 },
      {
        sec,
        nsec: 20,
        symbol: "AAPL",
        kind: 2,
        price: 1_899_900,
        size: 3,
        price2: 1_900_100,
        size2: 4,
      },
    ],
  });
  c.onRecord(frame, 0, frame.length, 0, 0, 0);
  return { latest, counters: c.counters };
}

Deno.test("latest: a server's table holds the last trade and quote; without a server nothing is written", () => {
  const kept = feed(true), skipped = feed(false);
  const L = 0; // AAPL is symbol 0
  assert.deepEqual(
    [LS.price, LS.size, LS.nsec, LS.seq, LS.bid, LS.bidSize, LS.ask, LS.askSize, LS.quoteNsec]
      .map((k) => kept.latest[L + k]),
    [1_900_000, 7, 10, 1, 1_899_900, 3, 1_900_100, 4, 20],
  );
  assert.ok(skipped.latest.every((x) => x === 0), "no server: the table stays empty");
  for (const k of [C.ticks, C.trades, C.quotes, C.volume, C.checksum] as const) {
    assert.equal(skipped.counters[k], kept.counters[k], "the same counts either way");
  }
  assert.equal(kept.counters[C.ticks], 2);
});
