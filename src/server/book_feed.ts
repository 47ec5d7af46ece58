/**
 * The WebSocket `book` channel: a subscriber gets a snapshot of each named
 * stock's top levels (`"snapshot":true`), then the top levels again
 * whenever they changed (`"snapshot":false`), conflated to the hub's 50 ms
 * pass, and keyed per stock so a slow client keeps only the newest. Books
 * come from the pipeline Worker (--protocol itch) through `BookSource`.
 *
 * @example
 * ```ts
 * import { BookFeed } from "./book_feed.ts";
 * const feed = new BookFeed(() => Promise.resolve(undefined));
 * await feed.poll([]); // nobody subscribed: nothing asked
 * ```
 * @module
 */
import type { BookJson } from "../feeds/itch/book_share.ts";
import type { Connection } from "./delivery.ts";
import { body } from "./messages.ts";

/** Asks the pipeline for a stock's top `depth` levels (undefined: no book; null: no answer). */
export type BookSource = (symbol: string, depth: number) => Promise<BookJson | undefined | null>;

/** Levels per side when a subscribe names no depth. */
export const BOOK_DEPTH = 10;

/** Sends books to subscribers of the `book` channel. */
export class BookFeed {
  /** last levels sent, by `symbol|depth` (to send only changes) */
  private readonly last = new Map<string, string>();
  private busy = false;

  constructor(private readonly source: BookSource) {}

  /** A new subscription: a snapshot of each symbol now. */
  async subscribed(c: Connection, symbols: string[]): Promise<void> {
    for (const s of symbols) {
      const b = await this.source(s, c.bookDepth).catch(() => null);
      c.deliver(message(s, b, true));
    }
  }

  /** Sends the books whose top levels changed to their subscribers (one pass at a time). */
  async poll(clients: Iterable<Connection>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const wanted = new Map<string, Connection[]>();
      for (const c of clients) {
        for (const s of c.subs.get("book") ?? []) {
          const k = `${s}|${c.bookDepth}`;
          wanted.get(k)?.push(c) ?? wanted.set(k, [c]);
        }
      }
      for (const k of this.last.keys()) if (!wanted.has(k)) this.last.delete(k);
      for (const [k, cs] of wanted) await this.refresh(k, cs);
    } finally {
      this.busy = false;
    }
  }

  private async refresh(k: string, cs: Connection[]): Promise<void> {
    const [symbol, depth] = k.split("|");
    const b = await this.source(symbol, Number(depth)).catch(() => null);
    if (b === null) return; // the pipeline has stopped (or could not answer): nothing new
    const levels = JSON.stringify([b?.bids, b?.asks, b?.stale]);
    if (this.last.get(k) === levels) return;
    this.last.set(k, levels); // the first pass may repeat a new subscriber's snapshot: harmless
    const text = message(symbol, b, false);
    for (const c of cs) c.deliver(text, `book|${symbol}`);
  }
}

/** A `book` message; a stock without a book yet has no levels. */
function message(symbol: string, b: BookJson | undefined | null, snapshot: boolean): string {
  return body("book", {
    symbol,
    snapshot,
    stale: b?.stale ?? false,
    bids: b?.bids ?? [],
    asks: b?.asks ?? [],
  });
}
