/**
 * Which symbols' trades and quotes anyone wants, told to the pipeline
 * Worker through the shared interest bytes (one per symbol id), so a tick
 * nobody subscribed to is never copied to the event ring and never costs
 * the main thread anything. Subscriptions name symbols; the Worker knows
 * ids: this keeps the names it has learnt (symbol events) and rewrites a
 * symbol's byte whenever its subscriptions change.
 *
 * @example
 * ```ts
 * import { SymbolInterest } from "./interest.ts";
 * import { createInterest, TickWant } from "./shared.ts";
 * const bytes = createInterest(16);
 * const wanted = new Set<string>();
 * const interest = new SymbolInterest(bytes, (s) => wanted.has(s) ? TickWant.trades : 0);
 * interest.symbol(3, "AAPL"); // the Worker announced AAPL as id 3
 * console.log(bytes[3]); // 0: nobody wants AAPL
 * wanted.add("AAPL");
 * interest.changed("AAPL");
 * console.log(bytes[3]); // 1: trades
 * ```
 * @module
 */

/** Per-symbol interest, kept in step with subscriptions. */
export class SymbolInterest {
  private readonly ids = new Map<string, number>();

  /** `wants(symbol)`: the TickWant bits subscribers want for that symbol now. */
  constructor(
    private readonly bytes: Uint8Array<SharedArrayBuffer>,
    private readonly wants: (symbol: string) => number,
  ) {}

  /** A symbol the Worker announced (an event sink's `symbol`): its byte now says who wants it. */
  symbol(id: number, name: string): void {
    if (id < 0 || id >= this.bytes.length) return;
    this.ids.set(name, id);
    Atomics.store(this.bytes, id, this.wants(name));
  }

  /** Subscriptions for `symbol` ("*": every symbol) changed. */
  changed(symbol: string): void {
    if (symbol === "*") {
      for (const [name, id] of this.ids) Atomics.store(this.bytes, id, this.wants(name));
      return;
    }
    const id = this.ids.get(symbol);
    if (id !== undefined) Atomics.store(this.bytes, id, this.wants(symbol));
  }
}
