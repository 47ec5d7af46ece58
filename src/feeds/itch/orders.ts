/**
 * Live orders, keyed by their 64-bit ITCH order reference, in one
 * preallocated open-addressing table of typed arrays: no object per order,
 * no allocation after construction. Linear probing; a delete shifts the
 * following entries of its run back, so there are no tombstones and probes
 * stay short however many orders come and go.
 *
 * @example
 * ```ts
 * import { OrderTable } from "./orders.ts";
 * const t = new OrderTable(1000);
 * const s = t.insert(0, 42, 7, 0x42, 100, 1234500);
 * console.log(t.find(0, 42) === s, t.shares(s)); // true 100
 * ```
 * @module
 */

// words of a slot: one slot shares a cache line, one miss per lookup
const HI = 0, LO = 1, SHARES = 2, PRICE = 3, META = 4, USED = 5, STRIDE = 6;

/** Preallocated order table. A `slot` is the index of an order's first word. */
export class OrderTable {
  private readonly w: Uint32Array;
  private readonly mask: number;
  /** most orders held at once */
  readonly capacity: number;
  /** orders held now */
  size = 0;
  /** inserts refused because the table held `capacity` orders */
  overflow = 0;

  constructor(maxOrders: number) {
    this.capacity = maxOrders;
    let slots = 16;
    while (slots < maxOrders * 2) slots *= 2; // load factor at most 1/2
    this.mask = slots - 1;
    this.w = new Uint32Array(slots * STRIDE);
  }

  /** Remaining shares of the order in `slot`. */
  shares(slot: number): number {
    return this.w[slot + SHARES];
  }
  setShares(slot: number, v: number): void {
    this.w[slot + SHARES] = v;
  }
  /** Price, dollars x 10,000. */
  price(slot: number): number {
    return this.w[slot + PRICE];
  }
  /** Stock locate of the order's book. */
  locate(slot: number): number {
    return this.w[slot + META] >>> 8;
  }
  /** Side byte: 'B' or 'S'. */
  side(slot: number): number {
    return this.w[slot + META] & 255;
  }

  private home(hi: number, lo: number): number {
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 13)) & this.mask;
  }

  /** Slot of the order, or -1. */
  find(hi: number, lo: number): number {
    const mask = this.mask, w = this.w;
    for (let i = this.home(hi, lo);; i = (i + 1) & mask) {
      const s = i * STRIDE;
      if (w[s + USED] === 0) return -1;
      if (w[s + LO] === lo && w[s + HI] === hi) return s;
    }
  }

  /**
   * Adds an order (an existing reference is overwritten). Returns its slot,
   * or -1 when the table is full (counted in `overflow`).
   */
  insert(hi: number, lo: number, locate: number, side: number, shares: number, price: number) {
    const mask = this.mask, w = this.w;
    let i = this.home(hi, lo), s = i * STRIDE;
    for (; w[s + USED] !== 0; i = (i + 1) & mask, s = i * STRIDE) {
      if (w[s + LO] === lo && w[s + HI] === hi) break;
    }
    if (w[s + USED] === 0) {
      if (this.size >= this.capacity) {
        this.overflow++;
        return -1;
      }
      w[s + USED] = 1;
      this.size++;
      w[s + HI] = hi;
      w[s + LO] = lo;
    }
    w[s + META] = (locate << 8) | side;
    w[s + SHARES] = shares;
    w[s + PRICE] = price;
    return s;
  }

  /** Removes the order in `slot`, moving later entries of its probe run back. */
  remove(slot: number): void {
    const mask = this.mask, w = this.w;
    let hole = slot / STRIDE;
    for (let i = (hole + 1) & mask; w[i * STRIDE + USED] !== 0; i = (i + 1) & mask) {
      const s = i * STRIDE, h = this.home(w[s + HI], w[s + LO]);
      // the entry at i may fill the hole when its home is not in (hole, i]
      if (((i - h) & mask) >= ((i - hole) & mask)) {
        w.copyWithin(hole * STRIDE, s, s + STRIDE);
        hole = i;
      }
    }
    w[hole * STRIDE + USED] = 0;
    this.size--;
  }

  /** Forgets every order (a new session). */
  clear(): void {
    this.w.fill(0);
    this.size = 0;
  }
}
