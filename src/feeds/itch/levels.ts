/**
 * Price levels of one book side in a sorted typed array: the fallback of
 * `BookSide` for prices its window of whole-cent slots cannot hold
 * (sub-penny prices, levels far from the rest). Emptied levels keep their
 * slots and a small cache maps recent prices to slots, so most lookups
 * neither bisect nor shift. Arrays grow by doubling, never per message.
 *
 * @example
 * ```ts
 * import { SortedLevels } from "./levels.ts";
 * const s = new SortedLevels(1); // bids
 * s.add(1_000_050, 100); // 100.0050 x 100
 * console.log(s.bestPrice(), s.bestShares()); // 1000050 100
 * ```
 * @module
 */

/** What a removal did to a side. */
export const Change = { none: 0, best: 1, missing: -1 } as const;

/** Slots of a side's price cache (direct-mapped by price tick). */
const CACHE = 64;

/**
 * Takes `shares` off level `i` of a side's arrays (and one order when
 * `gone`); a level left with no orders or no shares is emptied. True when
 * it was: the caller updates its own counts and best level.
 */
export function takeFromLevel(
  shares: Float64Array,
  orders: Uint32Array,
  i: number,
  n: number,
  gone: boolean,
): boolean {
  shares[i] -= n;
  if (gone) orders[i]--;
  if (orders[i] !== 0 && shares[i] > 0) return false;
  shares[i] = 0;
  orders[i] = 0;
  return true;
}

/**
 * Levels of one side in a sorted array. Keys sort ascending with the best
 * last (bids: price; asks: -price). A level that empties keeps its slot (prices come back), so
 * only a price never seen before shifts memory; emptied slots are dropped
 * when they outnumber live ones 3 to 1. A small direct-mapped cache maps
 * recent prices to slots, so most lookups skip the bisection.
 */
export class SortedLevels {
  keys = new Float64Array(16);
  shares = new Float64Array(16);
  orders = new Uint32Array(16);
  /** slots in use (levels with orders, and emptied ones) */
  n = 0;
  /** levels with orders */
  live = 0;
  /** slot of the best level with orders, -1 when the side is empty */
  top = -1;
  private readonly cacheKey = new Float64Array(CACHE).fill(NaN);
  private readonly cacheSlot = new Int32Array(CACHE);
  /** 1 for bids, -1 for asks */
  constructor(readonly sign: number) {}

  /** Best price (dollars x 10,000), or -1 when empty. */
  bestPrice(): number {
    return this.top < 0 ? -1 : this.keys[this.top] * this.sign;
  }
  /** Shares at the best price (0 when empty). */
  bestShares(): number {
    return this.top < 0 ? 0 : this.shares[this.top];
  }

  /**
   * Calls `fn(price, shares, orders)` for the best `depth` levels with
   * orders, best first; returns how many (for snapshots, not per message).
   */
  eachTop(depth: number, fn: (price: number, shares: number, orders: number) => void): number {
    let k = 0;
    for (let i = this.top; i >= 0 && k < depth; i--) {
      if (this.orders[i] === 0) continue;
      fn(this.keys[i] * this.sign, this.shares[i], this.orders[i]);
      k++;
    }
    return k;
  }

  /** Key of the best level with orders (-Infinity when none). */
  bestKey(): number {
    return this.top < 0 ? -Infinity : this.keys[this.top];
  }

  /** The slot of the next level with orders below slot `i` (-1: none); from `top` down. */
  below(i: number): number {
    let t = i - 1;
    while (t >= 0 && this.orders[t] === 0) t--;
    return t;
  }

  /**
   * Moves out the levels `take(key, shares, orders)` accepts (a window of
   * the side opened over them); returns how many.
   */
  moveOut(take: (key: number, shares: number, orders: number) => boolean): number {
    let moved = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.orders[i] === 0 || !take(this.keys[i], this.shares[i], this.orders[i])) continue;
      this.shares[i] = 0;
      this.orders[i] = 0;
      this.live--;
      moved++;
    }
    if (moved > 0) this.compact();
    return moved;
  }

  /** Slot of the level with `key`, or -(insertion point) - 1. */
  private find(key: number): number {
    const c = ((key / 100) | 0) & (CACHE - 1);
    if (this.cacheKey[c] === key) return this.cacheSlot[c];
    const k = this.keys;
    let lo = 0, hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1, v = k[mid];
      if (v === key) {
        this.cacheKey[c] = key;
        this.cacheSlot[c] = mid;
        return mid;
      }
      if (v < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** Adds one order of `shares` at `price`; true when it is at the best level (BBO changed). */
  add(price: number, shares: number): boolean {
    const key = price * this.sign;
    let i = this.find(key);
    if (i < 0) i = this.insert(-i - 1, key);
    if (this.orders[i] === 0) this.live++;
    this.shares[i] += shares;
    this.orders[i]++;
    if (i < this.top) return false;
    this.top = i;
    return true;
  }

  /** A new price: its slot, made by shifting the slots above it up by one. */
  private insert(i: number, key: number): number {
    if (this.n === this.keys.length) this.grow();
    const n = this.n;
    this.keys.copyWithin(i + 1, i, n);
    this.shares.copyWithin(i + 1, i, n);
    this.orders.copyWithin(i + 1, i, n);
    this.keys[i] = key;
    this.shares[i] = 0;
    this.orders[i] = 0;
    this.n = n + 1;
    if (this.top >= i) this.top++;
    this.cacheKey.fill(NaN); // slots above i moved
    return i;
  }

  /**
   * Takes `shares` off the level at `price`; `gone` when the order left the
   * book. Returns a Change: `none` below the best level, `best` when the
   * best level changed, `missing` when there is no such level (an
   * inconsistency).
   */
  remove(price: number, shares: number, gone: boolean): number {
    const i = this.find(price * this.sign);
    if (i < 0 || this.orders[i] === 0) return Change.missing;
    const best = i === this.top ? Change.best : Change.none;
    if (takeFromLevel(this.shares, this.orders, i, shares, gone)) {
      this.live--;
      if (i === this.top) this.top = this.below(i);
      if (this.n - this.live > 256 && this.n > 4 * this.live) this.compact();
    }
    return best;
  }

  /** Drops emptied slots (amortised: when they outnumber live ones 3 to 1). */
  private compact(): void {
    const k = this.keys, s = this.shares, o = this.orders;
    let w = 0;
    for (let r = 0; r < this.n; r++) {
      if (o[r] === 0) continue;
      k[w] = k[r];
      s[w] = s[r];
      o[w] = o[r];
      w++;
    }
    this.n = w;
    this.top = w - 1;
    this.cacheKey.fill(NaN);
  }

  private grow(): void {
    const cap = this.keys.length * 2;
    const k = new Float64Array(cap), s = new Float64Array(cap), o = new Uint32Array(cap);
    k.set(this.keys);
    s.set(this.shares);
    o.set(this.orders);
    this.keys = k;
    this.shares = s;
    this.orders = o;
  }

  clear(): void {
    this.n = 0;
    this.live = 0;
    this.top = -1;
    this.cacheKey.fill(NaN);
  }
}
