/**
 * Symbol partitioning for `--shard i/n`: a symbol belongs to shard
 * `fnv1a32(symbol) % n`. FNV-1a (32-bit, over the symbol's bytes) is fixed
 * here for good: every process of a deployment, in any language, must agree
 * on it, and changing it would move symbols between shards.
 *
 * @example
 * ```ts
 * import { parseShard, shardOf } from "./shard.ts";
 * const s = parseShard("0/2");
 * console.log(shardOf("AAPL", s.count) === s.index || shardOf("AAPL", 2) === 1); // true
 * ```
 * @module
 */

/** A shard: this process keeps the symbols with `shardOf(symbol, count) === index`. */
export interface Shard {
  index: number;
  count: number;
}

/** 32-bit FNV-1a of the string's code units (symbols are ASCII), unsigned. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i) & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Shard (0..count-1) that owns a symbol. */
export function shardOf(symbol: string, count: number): number {
  return fnv1a32(symbol) % count;
}

/** Parses `i/n` (0 <= i < n <= 1024); throws a RangeError with the reason. */
export function parseShard(v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  if (!m) throw new RangeError(`expected i/n, e.g. 0/2, got '${v}'`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1 || count > 1024) throw new RangeError(`shard count must be 1..1024, got ${count}`);
  if (index >= count) throw new RangeError(`shard index must be 0..${count - 1}, got ${index}`);
  return { index, count };
}
