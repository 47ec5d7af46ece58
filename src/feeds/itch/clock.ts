/**
 * ITCH time -> UTC: ITCH stamps nanoseconds since midnight, New York time,
 * of the trading date. The offset is New York's at midnight, and after
 * 02:00 local the offset in force then, so the days daylight saving starts
 * or ends convert right too. `set` allocates nothing.
 *
 * @example
 * ```ts
 * import { ItchClock } from "./clock.ts";
 * const c = new ItchClock("2012-06-21");
 * c.set(34_200_004_241_176);
 * console.log(c.utc[0], c.utc[1]); // 1340285400 4241176
 * ```
 * @module
 */
import { newYorkWallUtc } from "../../time.ts";

const NS = 1e9, TWO_AM_NS = 2 * 3600 * NS;

/** Converts ITCH timestamps of one trading date. */
export class ItchClock {
  /** UTC seconds and nanoseconds of the last `set` (typed slots: double fields would box) */
  readonly utc = new Float64Array(2);
  /** ITCH time (ns) at which the last converted second starts (none yet: -1 s) */
  private readonly sec = new Float64Array([-NS]);
  private readonly midnight: number;
  private readonly afterTwo: number;

  constructor(readonly date: string) {
    this.midnight = newYorkWallUtc(date, 0);
    this.afterTwo = newYorkWallUtc(date, 3) - 3 * 3600;
  }

  /** Sets `utc` from `ts` ns after New York midnight. */
  set(ts: number): void {
    const sec = this.sec;
    // messages come in time order, mostly many per second: the division only when the second changes
    if (ts >= sec[0] && ts < sec[0] + NS) {
      this.utc[1] = ts - sec[0];
      return;
    }
    const whole = Math.floor(ts / NS);
    sec[0] = whole * NS;
    this.utc[0] = (ts >= TWO_AM_NS ? this.afterTwo : this.midnight) + whole;
    this.utc[1] = ts - sec[0];
  }
}
