/**
 * The publisher's schedule for `deno task feed --stamp-send`: frame k of a
 * run at N ticks/s is due at start + (ticks before k) / N. `wait()` blocks
 * until the next frame is due (a thread sleep in the C library with a
 * 1 µs timer slack, then, up to 10,000 frames/s, a spin of at most 20 µs for
 * the last stretch, which a sleep on a virtual machine overshoots), and `stamp()`
 * writes the due time, not the actual one, into every tick of the frame:
 * when the publisher falls behind, the delay still shows in the receiver's
 * latency (coordinated omission counted). At rate 0 (flat out) a frame is
 * stamped just before it is sent.
 *
 * Clock: CLOCK_REALTIME as `performance.timeOrigin + performance.now()`, the
 * same expression every tickwire process and the bench's subscriber use.
 * The schedule starts at the first `wait()`: frame 0 is due then.
 * `lag` keeps how late each frame left against its due time (the
 * publisher's own share of the measured latency).
 *
 * @example
 * ```ts
 * import { SendClock } from "./send_clock.ts";
 * const clock = new SendClock(10_000);
 * const ticks = new Uint8Array(16 * 48); // in a real frame: the Tick vector
 * await clock.wait(16); // the first frame is due at once, the next 1.6 ms later
 * clock.stamp(new DataView(ticks.buffer), 0, 16);
 * ```
 * @module
 */
import { native } from "../native/lib.ts";
import { TICK_SIZE } from "../ring/layout.ts";
import { Histogram } from "../pipeline/latency.ts";

/** The last stretch before a due time is spun, not slept (ms)... */
const SPIN_MS = 0.02;
/** ...when frames are at least this far apart (ms): up to 10,000 frames/s. */
const SPIN_GAP_MS = 0.1;

/** Paces frames by tick count and stamps them with their intended send time. */
export class SendClock {
  /** when frame 0 was due (ms, performance.now()); NaN until the first `wait()` */
  private t0 = NaN;
  private ticks = 0;
  private dueMs = 0;
  /** How late frames left against their due time, ns (`leaving()` just before each send). */
  readonly lag = new Histogram();

  /** `rate` ticks per second; 0 = flat out. */
  constructor(private readonly rate: number) {
    native().symbols.tw_thread_timer_slack(1000);
  }

  /** Waits until a frame of `n` ticks is due (never returns early). */
  async wait(n: number): Promise<void> {
    if (this.t0 !== this.t0) this.t0 = performance.now(); // the first frame starts the schedule
    const due = this.rate > 0 ? this.t0 + (this.ticks / this.rate) * 1000 : performance.now();
    this.ticks += n;
    this.dueMs = due;
    let ahead = due - performance.now();
    // long waits on the event loop, the last stretch in a precise thread sleep
    if (ahead > 3) await new Promise((r) => setTimeout(r, ahead - 2));
    ahead = due - performance.now();
    // frames closer than SPIN_GAP_MS: the spins would take a core from the receiver
    const spin = this.rate > 0 && (n / this.rate) * 1000 >= SPIN_GAP_MS ? SPIN_MS : 0;
    if (ahead > spin) native().symbols.tw_idle(Math.min(Math.ceil((ahead - spin) * 1e6), 4e9));
    while (performance.now() < due) { /* the last few µs */ }
  }

  /** Records how late the frame about to be sent leaves. */
  leaving(): void {
    if (this.rate > 0) this.lag.record(Math.max(0, (performance.now() - this.dueMs) * 1e6), 1);
  }

  /** Writes the due time into ts_sec/ts_nsec of `n` Tick structs from byte `first`. */
  stamp(view: DataView, first: number, n: number): void {
    const ms = performance.timeOrigin + this.dueMs;
    const sec = Math.floor(ms / 1000);
    const nsec = Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6));
    for (let i = 0; i < n; i++) {
      view.setUint32(first + i * TICK_SIZE, sec, true); // Tick.ts_sec
      view.setUint32(first + i * TICK_SIZE + 4, nsec, true); // Tick.ts_nsec
    }
  }
}
