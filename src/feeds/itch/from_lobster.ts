/**
 * LOBSTER message rows -> ITCH 5.0 messages, by one rule (the issue's):
 * type 1 -> A (side B for direction 1, S for -1), 2 -> X (cancelled
 * shares), 3 -> D, 4 -> E (running match number), 5 -> P (order reference
 * 0), 6 -> Q, 7 -> H; an R (stock directory) first. A level-1 file omits
 * submissions deeper in the book, so an order can be executed, cancelled or
 * deleted with no type-1 row before it: an A is made for it just before its
 * first reference, same time, with that row's price and side and the sum of
 * every share the file later removes from it (cancels, executions and the
 * final delete's size).
 *
 * @example
 * ```ts
 * import { lobsterToItch } from "./from_lobster.ts";
 * const out = lobsterToItch([{ ns: 1, type: 3, id: 9, size: 5, price: 100, dir: 1 }], "AAPL");
 * console.log(out.messages.map((m) => String.fromCharCode(m.bytes[0])).join("")); // RAD
 * ```
 * @module
 */
import type { LobsterRow } from "../lobster.ts";
import {
  addOrder,
  crossTrade,
  orderCancel,
  orderDelete,
  orderExecuted,
  stockDirectory,
  tradeNonCross,
  tradingAction,
} from "./encode.ts";

/** One ITCH message and its time (ns after New York midnight). */
export interface TimedMessage {
  ns: number;
  bytes: Uint8Array;
}

/** The conversion and what it did. */
export interface Converted {
  messages: TimedMessage[];
  /** A messages made for orders first seen in a cancel, execution or delete */
  synthesizedAdds: number;
  byType: Record<string, number>;
}

const LOCATE = 1;

/** Orders that are referenced before (or without) a type-1 row: id -> shares removed. */
function implicitOrders(rows: LobsterRow[]): Map<number, number> {
  const added = new Set<number>(), implicit = new Map<number, number>();
  for (const r of rows) {
    if (r.type === 1) added.add(r.id);
    else if (r.type >= 2 && r.type <= 4 && !added.has(r.id)) {
      implicit.set(r.id, (implicit.get(r.id) ?? 0) + r.size);
    }
  }
  return implicit;
}

/** Converts a file's rows (file order kept). */
export function lobsterToItch(rows: LobsterRow[], stock: string): Converted {
  const implicit = implicitOrders(rows);
  const out: TimedMessage[] = [];
  const byType: Record<string, number> = {};
  const emit = (ns: number, bytes: Uint8Array) => {
    out.push({ ns, bytes });
    const t = String.fromCharCode(bytes[0]);
    byType[t] = (byType[t] ?? 0) + 1;
  };
  emit(rows[0]?.ns ?? 0, stockDirectory({ locate: LOCATE, ts: rows[0]?.ns ?? 0, stock }));
  let match = 0, synthesized = 0;
  const made = new Set<number>();
  for (const r of rows) {
    const c = { locate: LOCATE, ts: r.ns, ref: r.id };
    const side = r.dir === 1 ? "B" as const : "S" as const;
    if (r.type >= 2 && r.type <= 4 && implicit.has(r.id) && !made.has(r.id)) {
      made.add(r.id);
      synthesized++;
      emit(r.ns, addOrder({ ...c, side, shares: implicit.get(r.id)!, stock, price: r.price }));
    }
    switch (r.type) {
      case 1:
        emit(r.ns, addOrder({ ...c, side, shares: r.size, stock, price: r.price }));
        break;
      case 2:
        emit(r.ns, orderCancel({ ...c, shares: r.size }));
        break;
      case 3:
        emit(r.ns, orderDelete(c));
        break;
      case 4:
        emit(r.ns, orderExecuted({ ...c, shares: r.size, match: ++match }));
        break;
      case 5:
        emit(
          r.ns,
          tradeNonCross({
            ...c,
            ref: 0,
            side,
            shares: r.size,
            stock,
            price: r.price,
            match: ++match,
          }),
        );
        break;
      case 6:
        emit(
          r.ns,
          crossTrade({
            ...c,
            shares: r.size,
            stock,
            price: r.price,
            match: ++match,
            crossType: "C",
          }),
        );
        break;
      case 7:
        emit(
          r.ns,
          tradingAction({ ...c, stock, state: r.price === -1 ? "H" : r.price === 0 ? "Q" : "T" }),
        );
        break;
    }
  }
  return { messages: out, synthesizedAdds: synthesized, byType };
}
