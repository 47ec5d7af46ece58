/**
 * An independent order book built from LOBSTER rows under tickwire's ITCH
 * import rule (an order first referenced by a cancel, execution or delete
 * gets an add, just before, of every share later removed from it), written
 * separately from src/ so tests can check the ITCH stage's books against it:
 * plain Maps, no sorted arrays, no order table.
 */
import type { LobsterRow } from "../src/feeds/lobster.ts";

/** Best bid, its size, best ask, its size (prices x 10,000; null for an empty side). */
export type Bbo = [number | null, number | null, number | null, number | null];

/** A level: price (x 10,000), shares, orders. */
export type Level = [number, number, number];

/** The book, row by row. */
export class ReferenceBook {
  private readonly implicit = new Map<number, number>();
  private readonly orders = new Map<number, { price: number; buy: boolean; left: number }>();
  /** bids, asks: price -> [shares, orders] */
  private readonly levels = [
    new Map<number, [number, number]>(),
    new Map<number, [number, number]>(),
  ];

  constructor(rows: LobsterRow[]) {
    const added = new Set<number>();
    for (const r of rows) {
      if (r.type === 1) added.add(r.id);
      else if (r.type >= 2 && r.type <= 4 && !added.has(r.id)) {
        this.implicit.set(r.id, (this.implicit.get(r.id) ?? 0) + r.size);
      }
    }
  }

  private level(buy: boolean, price: number, shares: number, orders: number): void {
    const m = this.levels[buy ? 0 : 1], v = m.get(price) ?? [0, 0];
    v[0] += shares;
    v[1] += orders;
    if (v[0] > 0) m.set(price, v);
    else m.delete(price);
  }

  private add(id: number, price: number, buy: boolean, shares: number): void {
    this.orders.set(id, { price, buy, left: shares });
    this.level(buy, price, shares, 1);
  }

  /** Applies one row. */
  apply(r: LobsterRow): void {
    const cancels = r.type >= 2 && r.type <= 4;
    if (cancels && this.implicit.has(r.id) && !this.orders.has(r.id)) {
      this.add(r.id, r.price, r.dir === 1, this.implicit.get(r.id)!);
      this.implicit.delete(r.id);
    }
    if (r.type === 1) this.add(r.id, r.price, r.dir === 1, r.size);
    else if (cancels) {
      const o = this.orders.get(r.id);
      if (!o) return;
      const take = r.type === 3 ? o.left : Math.min(r.size, o.left);
      o.left -= take;
      const gone = o.left === 0;
      this.level(o.buy, o.price, -take, gone ? -1 : 0);
      if (gone) this.orders.delete(r.id);
    }
  }

  /** The top `n` levels of a side, best first. */
  depth(buy: boolean, n: number): Level[] {
    const m = this.levels[buy ? 0 : 1];
    const prices = [...m.keys()].sort((a, b) => (buy ? b - a : a - b)).slice(0, n);
    return prices.map((p) => [p, m.get(p)![0], m.get(p)![1]]);
  }

  best(): Bbo {
    const b = this.depth(true, 1)[0], a = this.depth(false, 1)[0];
    return [b?.[0] ?? null, b?.[1] ?? null, a?.[0] ?? null, a?.[1] ?? null];
  }
}

/** The BBO after the last row of each timestamp, keyed by ns after midnight. */
export function referenceBbo(rows: LobsterRow[]): Map<number, Bbo> {
  const book = new ReferenceBook(rows), out = new Map<number, Bbo>();
  for (const [i, r] of rows.entries()) {
    book.apply(r);
    if (i === rows.length - 1 || rows[i + 1].ns !== r.ns) out.set(r.ns, book.best());
  }
  return out;
}
