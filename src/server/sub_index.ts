/**
 * Who is subscribed to what, indexed by channel and symbol, so sending an
 * event costs the number of its subscribers, not the number of clients: a
 * trade for AAPL with 300 clients connected touches only AAPL's (and the
 * wildcard's) subscribers.
 *
 * @example
 * ```ts
 * import { SubIndex } from "./sub_index.ts";
 * const idx = new SubIndex<string>();
 * idx.add("trades", "AAPL", "client-1");
 * idx.add("trades", "*", "client-2");
 * idx.each("trades", "AAPL", (c) => console.log(c)); // client-1, client-2
 * ```
 * @module
 */

/** Subscribers by channel, then symbol ("*" = every symbol). */
export class SubIndex<C> {
  private readonly by = new Map<string, Map<string, Set<C>>>();

  add(channel: string, symbol: string, c: C): void {
    let m = this.by.get(channel);
    if (!m) this.by.set(channel, m = new Map());
    let s = m.get(symbol);
    if (!s) m.set(symbol, s = new Set());
    s.add(c);
  }

  remove(channel: string, symbol: string, c: C): void {
    const m = this.by.get(channel), s = m?.get(symbol);
    if (!s?.delete(c) || s.size > 0) return;
    m!.delete(symbol);
    if (m!.size === 0) this.by.delete(channel);
  }

  /** Calls `fn` once for each subscriber of `channel` for `symbol` or for "*". */
  each(channel: string, symbol: string, fn: (c: C) => void): void {
    const m = this.by.get(channel);
    if (!m) return;
    const named = m.get(symbol), all = m.get("*");
    if (named) { for (const c of named) fn(c); }
    if (all) { for (const c of all) if (!named?.has(c)) fn(c); }
  }

  /** True when anyone subscribes to `channel` for `symbol` (by name or "*"). */
  wants(channel: string, symbol: string): boolean {
    const m = this.by.get(channel);
    return m !== undefined && (m.has(symbol) || m.has("*"));
  }

  /** True when anyone subscribes to `channel` (any symbol). */
  has(channel: string): boolean {
    return this.by.has(channel);
  }
}
