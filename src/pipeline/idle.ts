/**
 * Idle strategies for a TypeScript consumer loop: what to do when the ring
 * is empty. `spin` burns the core (lowest latency, starves a 2-core box);
 * `yield` spins then calls sched_yield(); `sleep` spins then parks the
 * thread with Atomics.wait for a short, bounded time and can be woken at
 * once through `wake()`. The default, `sleep`, leaves room for the rest.
 *
 * @example
 * ```ts
 * import { Idler } from "./idle.ts";
 * const idle = new Idler("sleep", { spins: 100, sleepUs: 50 });
 * idle.idle(); // spin, later nap
 * idle.reset(); // when work arrives
 * ```
 * @module
 */
import { native } from "../native/lib.ts";

/** Available strategies. */
export const IDLE_KINDS = ["spin", "yield", "sleep"] as const;
/** One of IDLE_KINDS. */
export type IdleKind = typeof IDLE_KINDS[number];

/** Tuning of an idle strategy. */
export interface IdleOptions {
  /** Empty polls before yielding or sleeping (default 200). */
  spins?: number;
  /** Longest nap for `sleep`, microseconds (default 100). */
  sleepUs?: number;
  /** Int32Array word to wait on (shared with whoever calls wake). */
  word?: Int32Array;
  /** Index of that word. */
  index?: number;
  /**
   * `sleep` parks here instead of napping (a ring whose producer wakes its
   * parked consumer, `tw_ring_park`): called with the longest wait, ns.
   */
  park?: (timeoutNs: number) => void;
  /** Longest park, ms (50): the caller's periodic work runs at least this often. */
  parkMs?: number;
}

/** Applies one idle strategy. */
export class Idler {
  /** Naps or yields taken. */
  naps = 0;
  private count = 0;
  private readonly spins: number;
  private readonly sleepMs: number;
  private readonly word: Int32Array;
  private readonly index: number;
  private readonly park?: (timeoutNs: number) => void;
  private readonly parkNs: number;

  constructor(readonly kind: IdleKind, opts: IdleOptions = {}) {
    this.spins = opts.spins ?? 200;
    this.sleepMs = (opts.sleepUs ?? 100) / 1000;
    this.word = opts.word ?? new Int32Array(new SharedArrayBuffer(4));
    this.index = opts.index ?? 0;
    this.park = opts.park;
    this.parkNs = (opts.parkMs ?? 50) * 1e6;
    if (kind === "yield") native(); // load the library up front
    // Linux stretches short sleeps by the thread's timer slack (50 us by
    // default); ask for 1 us so a 50 us nap is a 50 us nap.
    if (kind === "sleep") native().symbols.tw_thread_timer_slack(1000);
  }

  /** Called after an empty poll. */
  idle(): void {
    if (this.kind === "spin" || this.count < this.spins) {
      this.count++;
      return;
    }
    this.naps++;
    if (this.kind === "yield") {
      native().symbols.tw_idle(0);
      return;
    }
    if (this.park !== undefined) {
      this.park(this.parkNs); // until the producer publishes (or someone wakes us)
      return;
    }
    // back off: 1 us, 2 us, 4 us ... up to sleepMs
    const k = this.count++ - this.spins;
    const ms = k >= 20 ? this.sleepMs : Math.min(this.sleepMs, 0.001 * 2 ** k);
    Atomics.wait(this.word, this.index, Atomics.load(this.word, this.index), ms);
  }

  /** Called when work arrived. */
  reset(): void {
    this.count = 0;
  }

  /** Wakes a thread sleeping on the same word (from another thread). */
  static wake(word: Int32Array, index: number): void {
    Atomics.add(word, index, 1);
    Atomics.notify(word, index);
  }
}
