/**
 * A log-linear (HDR-style) latency histogram in a Float64Array, so the
 * pipeline Worker can record into shared memory without allocating and the
 * main thread can read percentiles at any time. 16 sub-buckets per power of
 * two: values are kept to within about 6 %.
 *
 * @example
 * ```ts
 * import { Histogram } from "./latency.ts";
 * const h = new Histogram();
 * for (let i = 1; i <= 1000; i++) h.record(i * 1000, 1);
 * console.log(h.percentile(0.5) > 450_000 && h.percentile(0.5) < 550_000); // true
 * ```
 * @module
 */

const SUB = 16;
const POWERS = 48; // up to 2^48 ns (~3 days)
/** Slots: buckets, then count, max and sum. */
export const HIST_SLOTS = SUB * POWERS + 3;
const COUNT = SUB * POWERS, MAX = COUNT + 1, SUM = COUNT + 2;

/** Percentiles reported everywhere. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
}

/** Histogram over a (possibly shared) Float64Array of HIST_SLOTS. */
export class Histogram {
  readonly slots: Float64Array;

  constructor(slots?: Float64Array) {
    this.slots = slots ?? new Float64Array(HIST_SLOTS);
    if (this.slots.length < HIST_SLOTS) throw new RangeError(`histogram needs ${HIST_SLOTS} slots`);
  }

  /** Adds `n` observations of `ns` nanoseconds. */
  record(ns: number, n: number): void {
    const s = this.slots;
    let v = ns < 1 ? 1 : ns;
    if (v > s[MAX]) s[MAX] = v;
    s[SUM] += v * n;
    let e = Math.floor(Math.log2(v));
    if (e >= POWERS) {
      e = POWERS - 1;
      v = 2 ** POWERS - 1;
    }
    const sub = Math.floor((v / 2 ** e - 1) * SUB);
    s[e * SUB + sub] += n;
    s[COUNT] += n;
  }

  /** Observations recorded. */
  get count(): number {
    return this.slots[COUNT];
  }

  /** The value at quantile q (0..1), as the upper edge of its bucket. */
  percentile(q: number): number {
    const s = this.slots, total = s[COUNT];
    if (total === 0) return 0;
    const want = q * total;
    let seen = 0;
    for (let i = 0; i < COUNT; i++) {
      seen += s[i];
      if (seen >= want && s[i] > 0) {
        const e = Math.floor(i / SUB), sub = i % SUB;
        return Math.min(s[MAX], 2 ** e * (1 + (sub + 1) / SUB));
      }
    }
    return s[MAX];
  }

  /** Sum of all observations (ns), for a Prometheus histogram's `_sum`. */
  get sum(): number {
    return this.slots[SUM];
  }

  /**
   * Observations whose bucket lies wholly at or below `ns` (a Prometheus
   * `le` bucket; a bucket straddling the bound counts above it).
   */
  atOrBelow(ns: number): number {
    const s = this.slots;
    let n = 0;
    for (let i = 0; i < COUNT; i++) {
      if (s[i] === 0) continue;
      const e = Math.floor(i / SUB), sub = i % SUB;
      if (2 ** e * (1 + (sub + 1) / SUB) > ns) break;
      n += s[i];
    }
    return n;
  }

  /** The usual percentiles, rounded to whole ns. */
  summary(): Percentiles {
    const r = (q: number) => Math.round(this.percentile(q));
    return {
      p50: r(0.5),
      p90: r(0.9),
      p99: r(0.99),
      p999: r(0.999),
      max: Math.round(this.slots[MAX]),
      count: this.count,
    };
  }

  /** Forgets everything. */
  reset(): void {
    this.slots.fill(0);
  }
}

/**
 * CLOCK_REALTIME now in ns (as a double: about 0.25 µs resolution), the
 * clock of `deno task feed --stamp-send` stamps; allocation-free.
 */
export function wallNs(): number {
  return (performance.timeOrigin + performance.now()) * 1e6;
}
