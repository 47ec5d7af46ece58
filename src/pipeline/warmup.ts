/**
 * JIT warm-up of the pipeline Worker. Before the feed starts, generated
 * frames (sequenced, stamped just behind the wall clock, trades and quotes
 * of up to 64 symbols, crossing bar boundaries) run through a scratch copy
 * of the very stages the feed will use (`buildStages` on scratch shared
 * memory nobody else reads), so V8 has optimized the per-tick functions
 * before the first real tick. Without it, the first tens of milliseconds of
 * a fast feed meet unoptimized code and queue up in the receive ring.
 * Nothing of it reaches the real counters, symbols, bars or events.
 *
 * @example
 * ```ts ignore
 * warmUp(startMessage); // then start consuming the real ring
 * ```
 * @module
 */
import { createRing, RingConsumer, ringGeometry, RingProducer } from "../ring/ring.ts";
import { encodeFrame, type TickInput } from "../wire/encode.ts";
import { createControl, Ctl, type WorkerStart } from "./protocol.ts";
import { TickWant, WANT_ALL } from "./shared.ts";
import { buildStages } from "./stages.ts";
import { native } from "../native/lib.ts";
import { C } from "./counters.ts";

const TWO32 = 4294967296;

/** Frames and ticks per frame of a warm-up (about 100 k ticks). */
const FRAMES = 3_000, PER_FRAME = 32;
/** Event time advances this much per frame (3 s in all: 1 s bars close). */
const FRAME_MS = 1;

/** Runs the warm-up; returns the ticks it took (0 for ITCH, which has its own stage). */
export function warmUp(msg: WorkerStart): number {
  if (msg.itch !== undefined) return 0;
  const scratch = scratchStart(msg);
  const { events, consumer } = buildStages(scratch);
  const ring = createRing(1 << 20, 4096);
  const input = new RingProducer(ring), output = new RingConsumer(ring);
  const drains = [scratch.events, scratch.rows].filter((s) => s !== undefined)
    .map((s) => new RingConsumer(s));
  const discard = () => {};
  const now = native().symbols.tw_now_ns;
  const symbols = Math.max(1, Math.min(64, msg.maxSymbols));
  const t0 = Date.now() - FRAMES * FRAME_MS;
  for (let f = 0; f < FRAMES; f++) {
    const frame = encodeFrame({
      session: 0x7761726d, // "warm"
      firstSeq: 1 + f * PER_FRAME,
      ticks: warmTicks(t0 + f * FRAME_MS, f, symbols, PER_FRAME),
    });
    const at = input.tryReserve(frame.length);
    if (at < 0) break; // cannot happen: each frame is read before the next
    input.buffer.set(frame, at);
    const rx = now(); // receive stamp: the latency path runs too
    input.commit(frame.length, rx % TWO32, Math.floor(rx / TWO32));
    input.publish();
    output.poll(consumer.onRecord, 64);
    events.flush();
    consumer.rows?.flush();
    for (const d of drains) d.poll(discard, 1 << 16);
  }
  return consumer.counters[C.ticks];
}

/** A start message like `msg` on fresh shared memory; every tick event wanted, nothing waits. */
function scratchStart(msg: WorkerStart): WorkerStart {
  const f64 = (a: Float64Array) => new Float64Array(new SharedArrayBuffer(a.byteLength));
  const ringLike = (s: SharedArrayBuffer) => createRing(...ringGeometry(s));
  const control = createControl();
  control[Ctl.want] = TickWant.trades | TickWant.quotes;
  return {
    ...msg,
    counters: f64(msg.counters),
    control,
    latency: f64(msg.latency),
    wire: f64(msg.wire),
    latest: f64(msg.latest),
    interest: new Uint8Array(new SharedArrayBuffer(msg.interest.byteLength)).fill(WANT_ALL),
    events: ringLike(msg.events),
    rows: msg.rows ? ringLike(msg.rows) : undefined,
    rowsWait: false,
    books: undefined,
  };
}

/**
 * Frame `f`'s `perFrame` generated ticks at event time `ms`: 30 % trades,
 * prices walking around 100.00, `symbols` symbols in turn. Also what the
 * publisher warms its own code up with (tools/feed_emitter.ts).
 */
export function warmTicks(ms: number, f: number, symbols: number, perFrame: number): TickInput[] {
  const sec = Math.floor(ms / 1000), nsec = (ms - sec * 1000) * 1e6;
  const ticks: TickInput[] = [];
  for (let i = 0; i < perFrame; i++) {
    const k = f * perFrame + i, sym = k % symbols, wiggle = ((k * 7919) % 41) - 20;
    const trade = k % 10 < 3, price = 1_000_000 + wiggle * 100;
    ticks.push({
      sec,
      nsec: nsec + i,
      symbol: `W${sym.toString().padStart(3, "0")}`,
      kind: trade ? 1 : 2,
      price: trade ? price : price - 100,
      size: 100 + (k % 400),
      price2: trade ? 0 : price + 100,
      size2: trade ? 0 : 200 + (k % 300),
      side: trade ? 1 + (k % 2) : 0,
    });
  }
  return ticks;
}
