/**
 * Natural log of a tick's size, as the anomaly features and rules take it
 * (a size of 0 counts as 1). Sizes below 4,096 shares come from a table
 * filled with `Math.log` at start-up, so the value is the same bit for bit,
 * at a load instead of a ~15 ns call: most prints are round lots.
 *
 * @example
 * ```ts
 * import { logSize } from "./log_size.ts";
 * console.log(logSize(100) === Math.log(100), logSize(0)); // true 0
 * ```
 * @module
 */

const TABLE_SIZES = 4096;
const TABLE = new Float64Array(TABLE_SIZES);
for (let s = 1; s < TABLE_SIZES; s++) TABLE[s] = Math.log(s); // TABLE[0] = log 1 = 0

/** ln(size), ln(1) = 0 for sizes of 0 or less. */
export function logSize(size: number): number {
  if (size >= 0 && size < TABLE_SIZES && (size | 0) === size) return TABLE[size];
  return Math.log(size > 0 ? size : 1);
}
