import assert from "node:assert/strict";
import { SeqResult, Sequencer } from "../src/pipeline/sequencer.ts";
import { SymbolTable } from "../src/wire/symbols.ts";
import { FrameReader, packSymbol } from "../src/wire/frame.ts";
import { encodeFrame } from "../src/wire/encode.ts";

function feed(s: Sequencer, session: number, first: number, count: number): number {
  const t = { sec: 1, nsec: 0, symbol: "X", kind: 1, price: 1, size: 1 };
  const b = encodeFrame({ session, firstSeq: first, ticks: Array(count).fill(t) });
  const r = new FrameReader();
  assert.equal(r.open(b, 0, b.length), count);
  return s.onFrame(r.header, count);
}

Deno.test("gaps carry their first and last missing sequence", () => {
  const s = new Sequencer();
  assert.equal(feed(s, 7, 1, 10), SeqResult.inOrder);
  assert.equal(feed(s, 7, 11, 5), SeqResult.inOrder);
  assert.equal(feed(s, 7, 20, 1), SeqResult.gap);
  assert.deepEqual([s.gapFirst, s.gapLast, s.gaps, s.missing], [16, 19, 1, 4]);
});

Deno.test("duplicates and overlapping frames are counted and trimmed", () => {
  const s = new Sequencer();
  feed(s, 1, 1, 10);
  assert.equal(feed(s, 1, 3, 4), SeqResult.duplicate);
  assert.equal(s.skip, 4);
  assert.equal(feed(s, 1, 8, 6), SeqResult.overlap);
  assert.equal(s.skip, 3, "ticks 8..10 were seen, 11..13 are new");
  assert.equal(feed(s, 1, 14, 1), SeqResult.inOrder);
  assert.deepEqual([s.duplicates, s.outOfOrder, s.gaps], [1, 1, 0]);
});

Deno.test("sessions are independent, 64-bit ids exact; a full table forgets the least recent", () => {
  const s = new Sequencer(2);
  feed(s, 2 ** 40 + 1, 1, 1);
  feed(s, 2 ** 40 + 2, 100, 1);
  assert.equal(feed(s, 2 ** 40 + 1, 2, 1), SeqResult.inOrder);
  assert.equal(feed(s, 2 ** 40 + 2, 101, 1), SeqResult.inOrder);
  assert.equal(feed(s, 3, 1, 1), SeqResult.inOrder, "a new session evicts the least recent");
  assert.deepEqual([s.sessions, s.evictions], [2, 1]);
  // detection goes on for the active ones: a duplicate is still a duplicate
  assert.equal(feed(s, 2 ** 40 + 2, 101, 1), SeqResult.duplicate);
  assert.equal(feed(s, 3, 1, 1), SeqResult.duplicate);
  assert.equal(feed(s, 3, 5, 1), SeqResult.gap);
});

function feedEos(s: Sequencer, session: number, next: number): number {
  const b = encodeFrame({ session, firstSeq: next, ticks: [], flags: 1 });
  const r = new FrameReader();
  r.open(b, 0, b.length);
  return s.onFrame(r.header, 0);
}

Deno.test("an end of session closes it: the same id starting again is a restart, taken whole", () => {
  const s = new Sequencer();
  feed(s, 9, 1, 100);
  assert.equal(feedEos(s, 9, 101), SeqResult.inOrder);
  assert.equal(feed(s, 9, 1, 10), SeqResult.restart);
  assert.equal(feed(s, 9, 11, 10), SeqResult.inOrder);
  assert.equal(feed(s, 9, 11, 10), SeqResult.duplicate, "the new incarnation is tracked");
  assert.equal(s.restarts, 1);
});

Deno.test("back at sequence 1 without an end of session is a restart too", () => {
  const s = new Sequencer();
  feed(s, 4, 1, 50);
  assert.equal(feed(s, 4, 1, 50), SeqResult.duplicate, "a late copy soon after the start");
  for (let k = 0; k < 70; k++) feed(s, 4, 51 + k, 1);
  assert.equal(feed(s, 4, 1, 16), SeqResult.restart);
  assert.equal(feed(s, 4, 17, 16), SeqResult.inOrder);
  assert.equal(feed(s, 4, 1, 16), SeqResult.duplicate, "a late copy of the new start");
});

Deno.test("an absurd jump is held back; frames that carry on are still taken", () => {
  const s = new Sequencer(256, 1000);
  feed(s, 5, 1, 16);
  assert.equal(feed(s, 5, 2 ** 52, 16), SeqResult.jump);
  for (let k = 0; k < 5; k++) assert.equal(feed(s, 5, 17 + 16 * k, 16), SeqResult.inOrder);
  assert.deepEqual([s.jumps, s.duplicates, s.gaps], [1, 0, 0]);
  // a real jump: the next frame carries on from it, and the gap is reported
  assert.equal(feed(s, 5, 10_000, 16), SeqResult.jump);
  assert.equal(feed(s, 5, 10_016, 16), SeqResult.gap);
  assert.deepEqual([s.gapFirst, s.gapLast], [97, 10_015]);
});

Deno.test("symbol table interns, finds and counts overflow", () => {
  const t = new SymbolTable(3);
  const ids = ["A", "B", "C", "D", "A"].map((n) => t.intern(...packSymbol(n)));
  assert.deepEqual(ids, [0, 1, 2, -1, 0]);
  assert.equal(t.overflow, 1);
  assert.deepEqual(t.names, ["A", "B", "C"]);
  assert.equal(t.find("C"), 2);
  // many symbols with colliding-looking keys
  const big = new SymbolTable(5000);
  for (let i = 0; i < 5000; i++) assert.equal(big.intern(...packSymbol(`S${i}`)), i);
  for (let i = 0; i < 5000; i++) assert.equal(big.intern(...packSymbol(`S${i}`)), i);
});
