/**
 * Price levels per stock and side, aggregated from orders: shares and
 * order count per price. A side is a sorted typed array with the best
 * price at the end, so the busy top of the book is changed with little
 * shifting and the best level is one load away. Arrays grow by doubling
 * (rarely, amortised), never per message.
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

/** One side of a book. Keys sort ascending with the best last (bids: price; asks: -price). */
export class BookSide {
  keys = new Float64Array(16);
  shares = new Float64Array(16);
  orders = new Uint32Array(16);
  /** levels */
  n = 0;
  /** 1 for bids, -1 for asks */
  constructor(readonly sign: number) {}

  /** Best price (dollars x 10,000), or -1 when empty. */
  bestPrice(): number {
    return this.n === 0 ? -1 : this.keys[this.n - 1] * this.sign;
  }
  /** Shares at the best price (0 when empty). */
  bestShares(): number {
    return this.n === 0 ? 0 : this.shares[this.n - 1];
  }
  /** Price of level i from the top (0 = best). */
  priceAt(i: number): number {
    return this.keys[this.n - 1 - i] * this.sign;
  }
  sharesAt(i: number): number {
    return this.shares[this.n - 1 - i];
  }
  ordersAt(i: number): number {
    return this.orders[this.n - 1 - i];
  }

  /** Index of the level with `key`, or -(insertion point) - 1. Searches from the top. */
  private find(key: number): number {
    const k = this.keys;
    let lo = 0, hi = this.n - 1;
    if (hi >= 0 && k[hi] === key) return hi; // most activity is at the top
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1, v = k[mid];
      if (v === key) return mid;
      if (v < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** Adds one order of `shares` at `price`. */
  add(price: number, shares: number): void {
    const key = price * this.sign;
    let i = this.find(key);
    if (i < 0) {
      i = -i - 1;
      if (this.n === this.keys.length) this.grow();
      const n = this.n;
      if (i < n) {
        this.keys.copyWithin(i + 1, i, n);
        this.shares.copyWithin(i + 1, i, n);
        this.orders.copyWithin(i + 1, i, n);
      }
      this.keys[i] = key;
      this.shares[i] = 0;
      this.orders[i] = 0;
      this.n = n + 1;
    }
    this.shares[i] += shares;
    this.orders[i]++;
  }

  /**
   * Takes `shares` off the level at `price`; `gone` when the order left the
   * book. Returns false when there is no such level (an inconsistency).
   */
  remove(price: number, shares: number, gone: boolean): boolean {
    const i = this.find(price * this.sign);
    if (i < 0) return false;
    this.shares[i] -= shares;
    if (gone) this.orders[i]--;
    if (this.orders[i] === 0 || this.shares[i] <= 0) {
      const n = this.n;
      this.keys.copyWithin(i, i + 1, n);
      this.shares.copyWithin(i, i + 1, n);
      this.orders.copyWithin(i, i + 1, n);
      this.n = n - 1;
    }
    return true;
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
  add(locate: number, side: number, price: number, shares: number): void {
    const b = this.open(locate);
    (side === SIDE_BUY ? b.bid : b.ask).add(price, shares);
  }

  /** Removes shares (and the order when `gone`); false when inconsistent. */
  remove(locate: number, side: number, price: number, shares: number, gone: boolean): boolean {
    const b = this.byLocate[locate];
    if (b === undefined) return false;
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
