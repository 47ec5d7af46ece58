/**
 * Settings of the bar stage and what follows from them: how many bars of
 * one symbol and window can be open at once (the depth), and the bytes of
 * state the aggregator preallocates, both known before anything starts.
 *
 * @example
 * ```ts
 * import { barDepth } from "./options.ts";
 * const o = { windowsMs: [1000, 60_000], latenessMs: 2500, alignOffsetMs: 0, fill: false, maxSymbols: 8 };
 * console.log(barDepth(o)); // 4
 * ```
 * @module
 */

/** Configuration of the bar stage. */
export interface BarOptions {
  /** Window lengths, milliseconds (1 .. 86,400,000). */
  windowsMs: number[];
  /** Allowed lateness, milliseconds. */
  latenessMs: number;
  /** Window alignment offset from the UTC epoch, milliseconds. */
  alignOffsetMs: number;
  /** Publish flat bars carrying the previous close for empty windows. */
  fill: boolean;
  /** Symbol capacity. */
  maxSymbols: number;
}

/** Most bars of one symbol and window that may be open at once. */
export const MAX_DEPTH = 64;

/** Most flat bars `--fill prev` makes for one symbol and window in one advance. */
export const MAX_FILL = 10_000;

/** Float64 fields of one bar's state record in the aggregator. */
export const FIELDS = 21;

/** Checks the options and returns the depth; throws RangeError. */
export function barDepth(o: BarOptions): number {
  const { windowsMs, latenessMs } = o;
  if (windowsMs.length < 1 || windowsMs.length > 16) throw new RangeError("1 to 16 windows");
  for (const w of windowsMs) {
    if (!Number.isInteger(w) || w < 1 || w > 86_400_000) {
      throw new RangeError(`window ${w} ms outside 1 ms .. 1 day`);
    }
  }
  if (!(latenessMs >= 0) || !Number.isInteger(latenessMs)) {
    throw new RangeError("lateness must be >= 0 ms");
  }
  let depth = 1;
  for (const w of windowsMs) depth = Math.max(depth, Math.ceil(latenessMs / w) + 1);
  if (depth > MAX_DEPTH) {
    const min = Math.min(...windowsMs);
    throw new RangeError(
      `lateness ${latenessMs} ms is more than ${MAX_DEPTH - 1} windows of ${min} ms`,
    );
  }
  return depth;
}

/** Bytes of state the aggregator preallocates for these options (checks them too). */
export function barStateBytes(o: BarOptions): number {
  const depth = barDepth(o), perWindow = o.windowsMs.length * o.maxSymbols;
  const records = perWindow * depth * FIELDS * 8, openLists = perWindow * depth * 4;
  const perSymbol = perWindow * 8 * 3 + o.maxSymbols * 8;
  return records + openLists + perSymbol;
}
