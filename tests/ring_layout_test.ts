import assert from "node:assert/strict";
import * as L from "../src/ring/layout.ts";
import { createRing, RingConsumer, RingError, RingProducer } from "../src/ring/ring.ts";
import { native } from "../src/native/lib.ts";
import { FeedState, Stat } from "../src/native/feed.ts";
import * as flatbuffers from "flatbuffers";
import { Tick } from "../src/wire/generated/tickwire_generated.ts";

// Keys of tw_layout() in ffi/include/ring_layout.h, in order.
const KEYS: [string, number][] = [
  ["MAGIC", L.MAGIC],
  ["VERSION", L.VERSION],
  ["OFF_CAPACITY", L.OFF_CAPACITY],
  ["OFF_MAX_RECORD", L.OFF_MAX_RECORD],
  ["OFF_WRITE", L.OFF_WRITE],
  ["OFF_CLOSED", L.OFF_CLOSED],
  ["OFF_DROPS", L.OFF_DROPS],
  ["OFF_PUBLISHED", L.OFF_PUBLISHED],
  ["OFF_READ", L.OFF_READ],
  ["DATA_OFF", L.DATA_OFF],
  ["REC_HDR", L.REC_HDR],
  ["ALIGN", L.ALIGN],
  ["MIN_CAPACITY", L.MIN_CAPACITY],
  ["TICK_SIZE", L.TICK_SIZE],
  ["FRAME_FIXED", L.FRAME_FIXED],
  ["STAT_COUNT", L.STAT_COUNT],
  ["REC_OFF_LEN", L.REC_OFF_LEN],
  ["REC_OFF_TYPE", L.REC_OFF_TYPE],
  ["REC_OFF_SOURCE", L.REC_OFF_SOURCE],
  ["REC_OFF_RX_LO", L.REC_OFF_RX_LO],
  ["REC_OFF_RX_HI", L.REC_OFF_RX_HI],
  ["STATE_COUNT", L.STATE_COUNT],
  ["OFF_WAKE", L.OFF_WAKE],
  ["OFF_SLEEPING", L.OFF_SLEEPING],
];

Deno.test("C and TypeScript agree on every ring layout number", () => {
  const lib = native().symbols;
  for (const [i, [name, ts]] of KEYS.entries()) {
    assert.equal(Number(lib.tw_layout(i)), ts, `layout key ${name}`);
  }
  assert.equal(Number(lib.tw_layout(KEYS.length)), -1, "unknown key answers -1");
});

/** A C string the library returns (static storage), or null. */
function cName(p: Deno.PointerValue): string | null {
  return p === null ? null : new Deno.UnsafePointerView(p).getCString();
}

Deno.test("every feed counter and state has the same index in C and TypeScript", () => {
  const lib = native().symbols;
  // Stat and FeedState are what the code indexes with; compare each by name
  const stats = Object.entries(Stat);
  assert.equal(stats.length, L.STAT_COUNT);
  for (const [name, i] of stats) {
    const c = cName(lib.tw_stat_name(i));
    assert.equal(c?.replace(/_([a-z])/g, (_m, x: string) => x.toUpperCase()), name, `stat ${i}`);
    assert.equal(c, L.STAT_NAMES[i]);
  }
  assert.equal(cName(lib.tw_stat_name(L.STAT_COUNT)), null, "past the end");
  const states = Object.entries(FeedState);
  assert.equal(states.length, L.STATE_COUNT);
  for (const [name, i] of states) assert.equal(cName(lib.tw_state_name(i)), name, `state ${i}`);
  assert.equal(cName(lib.tw_state_name(L.STATE_COUNT)), null, "past the end");
  assert.equal(cName(lib.tw_state_name(-1)), null);
});

Deno.test("the Tick struct of the schema has the size the C feeds write", () => {
  // the generated FlatBuffers class knows the struct's size from the schema
  const b = new flatbuffers.Builder(64);
  const start = b.offset();
  Tick.createTick(b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  assert.equal(b.offset() - start, L.TICK_SIZE);
});

Deno.test("producer and consumer indices sit on separate cache lines, 128 bytes apart", () => {
  assert.ok(L.OFF_READ - L.OFF_WRITE >= 128);
  assert.ok(L.DATA_OFF - L.OFF_READ >= 128);
  assert.ok(L.OFF_WRITE >= 128);
});

Deno.test("a ring made in TypeScript passes the C validator", () => {
  const lib = native().symbols;
  for (const cap of [4096, 1 << 16, 1 << 22]) {
    const sab = createRing(cap, cap / 4);
    assert.equal(lib.tw_ring_check(new Uint8Array(sab), BigInt(sab.byteLength)), 0);
  }
});

Deno.test("bad construction is a clear error on both sides", () => {
  assert.throws(
    () => createRing(5000, 100),
    (e) => e instanceof RingError && /power of two/.test(e.message),
  );
  assert.throws(
    () => createRing(2048, 100),
    (e) => e instanceof RingError && /power of two from 4096/.test(e.message),
  );
  assert.throws(
    () => createRing(4096, 2000),
    (e) => e instanceof RingError && /max record/.test(e.message),
  );
  assert.throws(() => new RingConsumer(new SharedArrayBuffer(100)), RingError);
  const lib = native().symbols;
  const good = createRing(4096, 1024);
  // too small a buffer for the declared capacity
  assert.equal(lib.tw_ring_check(new Uint8Array(good), BigInt(good.byteLength - 1)), -22);
  // corrupt magic
  const bad = createRing(4096, 1024);
  new Uint32Array(bad)[0] = 0;
  assert.equal(lib.tw_ring_check(new Uint8Array(bad), BigInt(bad.byteLength)), -22);
  // capacity not a power of two
  const odd = createRing(8192, 1024);
  new Uint32Array(odd)[L.OFF_CAPACITY / 4] = 6000;
  assert.equal(lib.tw_ring_check(new Uint8Array(odd), BigInt(odd.byteLength)), -22);
  // max record larger than a quarter of the ring
  const big = createRing(4096, 1024);
  new Uint32Array(big)[L.OFF_MAX_RECORD / 4] = 2048;
  assert.equal(lib.tw_ring_check(new Uint8Array(big), BigInt(big.byteLength)), -34);
  // record too large for the ring
  const p = new RingProducer(createRing(4096, 1024));
  assert.throws(() => p.tryReserve(1025), RangeError);
  assert.throws(() => p.tryReserve(0), RangeError);
});
