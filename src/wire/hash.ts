/**
 * The 32-bit hash of a 64-bit key given as two 32-bit words, for the
 * open-addressing tables on the per-tick path (symbol names, ITCH order
 * references). Every input bit reaches the low bits a table's mask keeps
 * (a multiply-xorshift finalizer), so keys that share their first bytes or
 * count up do not pile onto one home slot.
 *
 * @example
 * ```ts
 * import { hash64 } from "./hash.ts";
 * // home slots of references 42 and 43 in a table of 1,024 slots: far apart
 * console.log(hash64(0, 42) & 1023, hash64(0, 43) & 1023); // 944 309
 * ```
 * @module
 */

/** Hash of the key `hi * 2^32 + lo` (a signed 32-bit value; mask it for a slot). */
export function hash64(hi: number, lo: number): number {
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35);
  return h ^ (h >>> 13);
}
