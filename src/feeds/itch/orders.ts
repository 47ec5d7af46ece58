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
 * console.log(t.find(0, 42) === s, t.shares[s]); // true 100
 * ```
 * @module
 */

/** Preallocated order table. `slot` values are indices into the arrays. */
export class OrderTable {
  /** reference, bits 32..63 and 0..31 */
  readonly refHi: Uint32Array;
  readonly refLo: Uint32Array;
  /** remaining shares */
  readonly shares: Uint32Array;
  /** price, dollars x 10,000 */
  readonly price: Uint32Array;
  /** stock locate of the order's book */
  readonly locate: Uint16Array;
  /** side byte: 'B' or 'S' */
  readonly side: Uint8Array;
  private readonly used: Uint8Array;
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
    this.refHi = new Uint32Array(slots);
    this.refLo = new Uint32Array(slots);
    this.shares = new Uint32Array(slots);
    this.price = new Uint32Array(slots);
    this.locate = new Uint16Array(slots);
    this.side = new Uint8Array(slots);
    this.used = new Uint8Array(slots);
  }

  private home(hi: number, lo: number): number {
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 13)) & this.mask;
  }

  /** Slot of the order, or -1. */
  find(hi: number, lo: number): number {
    const mask = this.mask, used = this.used, rl = this.refLo, rh = this.refHi;
    for (let s = this.home(hi, lo);; s = (s + 1) & mask) {
      if (used[s] === 0) return -1;
      if (rl[s] === lo && rh[s] === hi) return s;
    }
  }

  /**
   * Adds an order (an existing reference is overwritten). Returns its slot,
   * or -1 when the table is full (counted in `overflow`).
   */
  insert(hi: number, lo: number, locate: number, side: number, shares: number, price: number) {
    const mask = this.mask, used = this.used;
    let s = this.home(hi, lo);
    for (; used[s] !== 0; s = (s + 1) & mask) {
      if (this.refLo[s] === lo && this.refHi[s] === hi) break;
    }
    if (used[s] === 0) {
      if (this.size >= this.capacity) {
        this.overflow++;
        return -1;
      }
      used[s] = 1;
      this.size++;
      this.refHi[s] = hi;
      this.refLo[s] = lo;
    }
    this.locate[s] = locate;
    this.side[s] = side;
    this.shares[s] = shares;
    this.price[s] = price;
    return s;
  }

  /** Removes the order in `slot`, moving later entries of its probe run back. */
  remove(slot: number): void {
    const mask = this.mask, used = this.used;
    let hole = slot;
    for (let s = (slot + 1) & mask; used[s] !== 0; s = (s + 1) & mask) {
      const h = this.home(this.refHi[s], this.refLo[s]);
      // the entry at s may fill the hole when its home is not in (hole, s]
      if (((s - h) & mask) >= ((s - hole) & mask)) {
        this.move(s, hole);
        hole = s;
      }
    }
    used[hole] = 0;
    this.size--;
  }

  private move(from: number, to: number): void {
    this.refHi[to] = this.refHi[from];
    this.refLo[to] = this.refLo[from];
    this.shares[to] = this.shares[from];
    this.price[to] = this.price[from];
    this.locate[to] = this.locate[from];
    this.side[to] = this.side[from];
  }

  /** Forgets every order (a new session). */
  clear(): void {
    this.used.fill(0);
    this.size = 0;
  }
}
