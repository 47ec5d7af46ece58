/**
 * Price levels per stock and side, aggregated from orders: shares and
 * order count per price. A side keeps its levels in a window of whole-cent
 * slots indexed by price, so a message finds its level with one
 * subtraction and one division, and a new price shifts nothing; the few
 * prices the window cannot hold (sub-penny, or far from the rest of the
 * side) live in a sorted fallback (`SortedLevels`). Memory grows by
 * doubling the window (at most `MAX_SLOTS` slots a side, and 8 per level
 * with orders, so it follows the orders), never per message.
 *
 * @example
 * ```ts
 * import { Books } from "./book.ts";
 * const b = new Books();
 * b.add(1, 0x42, 1000000, 100); // bid 100.0000 x 100
 * console.log(b.book(1)!.bid.bestPrice()); // 1000000
 * ```
 * @module
 */
import { SIDE_BUY } from "./spec.ts";
import { Change, SortedLevels, takeFromLevel } from "./levels.ts";

export { Change };

/** Price units (1/10,000 dollar) per slot of the window: one cent. */
const TICK = 100;
/** Slots of a side's first window, and the most it grows to (4,096 cents: $40.96). */
const FIRST_SLOTS = 64, MAX_SLOTS = 4096;
/** Slots a window may have per level with orders (see `mostSlots`). */
const SLOTS_PER_LEVEL = 8;
/** Window moves that need no adds in between: the first placement and one per doubling. */
const FREE_MOVES = Math.log2(MAX_SLOTS / FIRST_SLOTS) + 1;

/**
 * One side of a book. Keys order levels best last (bids: key = price; asks:
 * key = -price). Slot i of the window holds the level with key
 * `base + i * TICK`; `top` is the best slot with orders. A bitmap of slots
 * with orders finds the next best in a few word reads when the best empties.
 * An on-grid price outside the window moves the window over it (doubling
 * it, up to MAX_SLOTS), unless the side's levels would then span more than
 * the window can: such prices, and prices off the cent grid, go to `other`.
 * A move copies the window, so beyond the first FREE_MOVES one waits for
 * an eighth of the window's slot count in adds outside it (at most eight
 * copied slots per such add, whatever the feed does); until then prices go
 * to `other`, and the next move takes back those that fit.
 */
export class BookSide {
  private shares = new Float64Array(FIRST_SLOTS);
  private orders = new Uint32Array(FIRST_SLOTS);
  private bits = new Uint32Array(FIRST_SLOTS / 32);
  /** key of slot 0; NaN until the first level (then the window is placed around it) */
  private base = NaN;
  /** keys the window covers: slots x TICK */
  private span = FIRST_SLOTS * TICK;
  /** best slot with orders, -1 when the window has none */
  private top = -1;
  /** levels with orders in the window */
  private inWindow = 0;
  /** window moves this session, and on-grid adds outside the window since the last */
  private moves = 0;
  private outside = 0;
  /** levels outside the window (made on first need) */
  private other?: SortedLevels;

  /** 1 for bids, -1 for asks */
  constructor(readonly sign: number) {}

  /** Slots of the window (memory: 12 bytes each). */
  get slots(): number {
    return this.shares.length;
  }

  /** Levels with orders. */
  get live(): number {
    return this.inWindow + (this.other?.live ?? 0);
  }

  /** Key of the window's best level with orders, -Infinity when it has none. */
  private windowBest(): number {
    return this.top < 0 ? -Infinity : this.base + this.top * TICK;
  }

  /** Key of the best level with orders, -Infinity when the side is empty. */
  private bestKey(): number {
    const w = this.windowBest(), o = this.other;
    return o === undefined || o.live === 0 ? w : Math.max(w, o.bestKey());
  }

  /** Best price (dollars x 10,000), or -1 when empty. */
  bestPrice(): number {
    const k = this.bestKey();
    return k === -Infinity ? -1 : k * this.sign;
  }

  /** Shares at the best price (0 when empty). */
  bestShares(): number {
    const o = this.other;
    if (
      o !== undefined && o.live > 0 && o.bestKey() > this.windowBest()
    ) {
      return o.bestShares();
    }
    return this.top < 0 ? 0 : this.shares[this.top];
  }

  /** Window slot of `key`, or -1 when the window does not hold it. */
  private slot(key: number): number {
    const d = key - this.base;
    if (!(d >= 0 && d < this.span)) return -1; // NaN base: no window yet
    // d is a small integer here: an int32 division by a constant (a multiply)
    const x = d | 0, i = (x / TICK) | 0;
    return i * TICK === x ? i : -1;
  }

  /** Adds one order of `shares` at `price`; true when it is at the best level (BBO changed). */
  add(price: number, shares: number): boolean {
    const key = price * this.sign;
    let i = this.slot(key);
    if (i < 0 && this.place(key)) i = this.slot(key);
    if (i < 0) {
      const atBest = this.other!.add(price, shares);
      return atBest && key > this.windowBest();
    }
    if (this.orders[i] === 0) {
      this.inWindow++;
      this.bits[i >>> 5] |= 1 << (i & 31);
    }
    this.shares[i] += shares;
    this.orders[i]++;
    if (i < this.top) return false;
    this.top = i;
    const o = this.other;
    return o === undefined || o.live === 0 || key >= o.bestKey();
  }

  /**
   * Takes `shares` off the level at `price`; `gone` when the order left the
   * book. Returns a Change: `none` below the best level, `best` when the
   * best level changed, `missing` when there is no such level (an
   * inconsistency).
   */
  remove(price: number, shares: number, gone: boolean): number {
    const key = price * this.sign, i = this.slot(key);
    if (i < 0) return this.removeOther(price, shares, gone, key);
    if (this.orders[i] === 0) return Change.missing;
    const o = this.other;
    const best = i === this.top && (o === undefined || o.live === 0 || key > o.bestKey());
    if (takeFromLevel(this.shares, this.orders, i, shares, gone)) {
      this.inWindow--;
      this.bits[i >>> 5] &= ~(1 << (i & 31));
      if (i === this.top) this.top = this.below(i);
    }
    return best ? Change.best : Change.none;
  }

  private removeOther(price: number, shares: number, gone: boolean, key: number): number {
    const o = this.other;
    if (o === undefined) return Change.missing;
    const ch = o.remove(price, shares, gone);
    if (ch !== Change.best) return ch;
    return key > this.windowBest() ? Change.best : Change.none;
  }

  /** The highest slot below `i` with orders, -1 when none (a bitmap scan). */
  private below(i: number): number {
    const bits = this.bits;
    let w = i >>> 5, m = bits[w] & ((1 << (i & 31)) - 1);
    while (m === 0) {
      if (--w < 0) return -1;
      m = bits[w];
    }
    return (w << 5) + 31 - Math.clz32(m);
  }

  /** The lowest slot with orders (the window holds at least one). */
  private lowest(): number {
    const bits = this.bits;
    let w = 0;
    while (bits[w] === 0) w++;
    const m = bits[w];
    return (w << 5) + 31 - Math.clz32(m & -m);
  }

  /**
   * Moves (and doubles) the window so it holds `key` and every level it
   * holds now; false when `key` must go to the fallback instead.
   */
  private place(key: number): boolean {
    if (key % TICK !== 0) return this.fallback();
    if (this.moves >= FREE_MOVES && ++this.outside < this.shares.length >>> 3) {
      return this.fallback();
    }
    let size = this.shares.length, base = key - (size >>> 1) * TICK;
    if (this.inWindow > 0) {
      const lo = Math.min(key, this.base + this.lowest() * TICK);
      const hi = Math.max(key, this.base + this.top * TICK);
      const span = (hi - lo) / TICK + 1, most = this.mostSlots();
      size = Math.min(most, size * 2);
      while (size < span * 2 && size < most) size *= 2;
      if (span > size) return this.fallback();
      base = lo - Math.floor((size - span) / 2) * TICK;
    }
    this.rebuild(size, base);
    this.moves++;
    this.outside = 0;
    return true;
  }

  /**
   * The most slots the window may have now: SLOTS_PER_LEVEL per level with
   * orders, within FIRST_SLOTS..MAX_SLOTS. Memory then follows the orders
   * (bounded by --max-orders), not the span of prices a feed sends: a
   * stock with two orders $40 apart keeps a small window and a fallback.
   */
  private mostSlots(): number {
    let most = FIRST_SLOTS;
    while (most < SLOTS_PER_LEVEL * (this.live + 1) && most < MAX_SLOTS) most *= 2;
    return Math.max(most, this.shares.length);
  }

  /** Copies the window's levels into `size` slots from key `base`, then pulls in fallback levels that fit. */
  private rebuild(size: number, base: number): void {
    const shares = new Float64Array(size), orders = new Uint32Array(size);
    const bits = new Uint32Array(size / 32), shift = (this.base - base) / TICK;
    for (let i = 0; i < this.shares.length; i++) {
      if (this.orders[i] === 0) continue;
      shares[i + shift] = this.shares[i];
      orders[i + shift] = this.orders[i];
      bits[(i + shift) >>> 5] |= 1 << ((i + shift) & 31);
    }
    this.shares = shares;
    this.orders = orders;
    this.bits = bits;
    this.base = base;
    this.span = size * TICK;
    this.top = this.top < 0 ? -1 : this.top + shift;
    this.other?.moveOut((k, s, n) => {
      const i = this.slot(k);
      if (i < 0) return false;
      shares[i] = s;
      orders[i] = n;
      bits[i >>> 5] |= 1 << (i & 31);
      this.inWindow++;
      if (i > this.top) this.top = i;
      return true;
    });
  }

  private fallback(): false {
    this.other ??= new SortedLevels(this.sign);
    return false;
  }

  /**
   * Calls `fn(price, shares, orders)` for the best `depth` levels with
   * orders, best first; returns how many (for snapshots, not per message).
   */
  eachTop(depth: number, fn: (price: number, shares: number, orders: number) => void): number {
    const o = this.other;
    let k = 0, i = this.top, j = o === undefined ? -1 : o.below(o.n);
    for (; k < depth && (i >= 0 || j >= 0); k++) {
      const wk = i < 0 ? -Infinity : this.base + i * TICK;
      if (j >= 0 && o!.keys[j] > wk) {
        fn(o!.keys[j] * this.sign, o!.shares[j], o!.orders[j]);
        j = o!.below(j);
      } else {
        fn(wk * this.sign, this.shares[i], this.orders[i]);
        i = this.below(i);
      }
    }
    return k;
  }

  /** Forgets every level (a new session); the window is placed again by the next order. */
  clear(): void {
    this.shares.fill(0);
    this.orders.fill(0);
    this.bits.fill(0);
    this.base = NaN;
    this.top = -1;
    this.inWindow = 0;
    this.moves = 0;
    this.outside = 0;
    this.other?.clear();
  }
}

/** A stock's book. */
export interface Book {
  readonly bid: BookSide;
  readonly ask: BookSide;
}

/** Books by stock locate (0..65535), made when a stock first has an order. */
export class Books {
  private readonly byLocate: (Book | undefined)[] = new Array(65536).fill(undefined);
  /** books made */
  count = 0;

  /** The book of `locate`, or undefined. */
  book(locate: number): Book | undefined {
    return this.byLocate[locate];
  }

  /** The book of `locate`, made if needed (allocates once per stock). */
  open(locate: number): Book {
    let b = this.byLocate[locate];
    if (b === undefined) {
      b = { bid: new BookSide(1), ask: new BookSide(-1) };
      this.byLocate[locate] = b;
      this.count++;
    }
    return b;
  }

  /** Adds an order of `shares` at `price` on side byte `side`. */
  add(locate: number, side: number, price: number, shares: number): boolean {
    const b = this.open(locate);
    return (side === SIDE_BUY ? b.bid : b.ask).add(price, shares);
  }

  /** Removes shares (and the order when `gone`); a Change (`missing` when inconsistent). */
  remove(locate: number, side: number, price: number, shares: number, gone: boolean): number {
    const b = this.byLocate[locate];
    if (b === undefined) return Change.missing;
    return (side === SIDE_BUY ? b.bid : b.ask).remove(price, shares, gone);
  }

  /** Empties every book (a new session). */
  clear(): void {
    for (const b of this.byLocate) {
      b?.bid.clear();
      b?.ask.clear();
    }
  }
}
