/**
 * What the server knows about the market, fed by pipeline events on the
 * main thread: symbol names, a bounded history of final bars per symbol and
 * window, the latest (possibly in-progress) bar, recent anomalies, late
 * ticks and gaps. The latest trade and quote per symbol are read straight
 * from the Worker's shared `latest` array.
 *
 * @example
 * ```ts
 * import { MarketState } from "./state.ts";
 * import { createLatest } from "../pipeline/shared.ts";
 * const s = new MarketState(["1s", "1m"], createLatest(16), 100);
 * s.onSymbol(0, "AAPL");
 * console.log(s.symbolId("AAPL")); // 0
 * ```
 * @module
 */
import {
  type AnomalyJson,
  type BarJson,
  type GapJson,
  type LateJson,
  type LatestTickJson,
  scalePrice,
  type TradeJson,
} from "./messages.ts";
import { isoNs } from "../time.ts";
import { LATEST } from "../pipeline/shared.ts";

const LS = LATEST.slot;

/** Server-side market state. */
export class MarketState {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  /** final bars per `${symbol}|${window}`, oldest first, at most `history` */
  private readonly hist = new Map<string, { starts: number[]; bars: BarJson[] }>();
  /** the latest bar per `${symbol}|${window}` (in progress or final), with its start in ms */
  private readonly latestBar = new Map<string, { bar: BarJson; start: number }>();
  readonly anomalies: AnomalyJson[] = [];
  readonly late: LateJson[] = [];
  readonly gaps: GapJson[] = [];

  /** last trade per symbol, for a server without the pipeline's shared array (a gateway) */
  private readonly trades = new Map<string, NonNullable<LatestTickJson["trade"]>>();

  /**
   * `latest`: the pipeline's shared latest-tick array (LATEST layout), or
   * undefined when trades arrive through `onTrade` instead.
   */
  constructor(
    readonly windows: string[],
    private readonly latest?: Float64Array,
    readonly history = 2000,
  ) {}

  /** Records a symbol's last trade (servers without the shared array). */
  onTrade(t: TradeJson): void {
    this.trades.set(t.symbol, { time: t.time, price: t.price, size: t.size, sequence: t.sequence });
  }

  onSymbol(id: number, name: string): void {
    this.names[id] = name;
    this.ids.set(name, id);
  }

  /** Id of a known symbol, or -1. */
  symbolId(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  /** Records a bar (final or in progress); `start` in ms when the caller has it. */
  onBar(j: BarJson, start = Date.parse(j.start)): BarJson {
    const key = `${j.symbol}|${j.window}`;
    const cur = this.latestBar.get(key);
    if (cur === undefined || start >= cur.start) this.latestBar.set(key, { bar: j, start });
    if (j.final) {
      let h = this.hist.get(key);
      if (!h) this.hist.set(key, h = { starts: [], bars: [] });
      const i = h.starts.lastIndexOf(start);
      if (i >= 0) h.bars[i] = j; // a later revision replaces the bar
      else {
        // kept in start order: bars from a stream can arrive out of order
        // (publish retries around a failover)
        let k = h.starts.length;
        while (k > 0 && h.starts[k - 1] > start) k--;
        h.starts.splice(k, 0, start);
        h.bars.splice(k, 0, j);
        if (h.bars.length > this.history) {
          h.starts.shift();
          h.bars.shift();
        }
      }
    }
    return j;
  }

  /** Records a late tick (kept for REST, bounded). */
  onLate(j: LateJson): void {
    this.late.push(j);
    if (this.late.length > 1000) this.late.shift();
  }

  onGap(session: number, first: number, last: number): void {
    this.gaps.push({ session, first, last });
    if (this.gaps.length > 1000) this.gaps.shift();
  }

  onAnomaly(a: AnomalyJson): void {
    this.anomalies.push(a);
    if (this.anomalies.length > 10_000) this.anomalies.shift();
  }

  /** Final bars (and the in-progress one when `to` is open) between from and to (ms). */
  /**
   * Bars starting in [from, to), oldest first: the first `limit` of them when
   * `from` is given (a page; `next` is where the following page starts, or
   * null), else the latest `limit`.
   */
  barPage(
    symbol: string,
    window: string,
    from: number,
    to: number,
    limit: number,
  ): { bars: BarJson[]; next: string | null } {
    const all = this.bars(symbol, window, from, to);
    if (from === -Infinity) return { bars: all.slice(Math.max(0, all.length - limit)), next: null };
    return { bars: all.slice(0, limit), next: all.length > limit ? all[limit].start : null };
  }

  /** Every kept bar starting in [from, to), oldest first, and the bar in progress. */
  bars(symbol: string, window: string, from: number, to: number): BarJson[] {
    const h = this.hist.get(`${symbol}|${window}`);
    const out: BarJson[] = [];
    if (h) {
      for (let i = 0; i < h.bars.length; i++) {
        if (h.starts[i] >= from && h.starts[i] < to) out.push(h.bars[i]);
      }
    }
    const cur = this.latestBar.get(`${symbol}|${window}`);
    if (cur && !cur.bar.final) {
      const s = cur.start;
      if (s >= from && s < to && (out.length === 0 || Date.parse(out[out.length - 1].start) < s)) {
        out.push(cur.bar);
      }
    }
    return out;
  }

  /**
   * What a new subscription starts with: the latest bar per `bars:<window>`
   * channel and symbol (without final ones when `noFinal`: a resumed
   * client gets those from its replay) and each symbol's last trade.
   */
  snapshot(channels: string[], symbols: string[], noFinal: boolean) {
    const names = symbols.includes("*") ? this.names.filter((n) => n !== undefined) : symbols;
    const bars: BarJson[] = [];
    for (const ch of channels) {
      if (!ch.startsWith("bars:")) continue;
      for (const s of names) {
        const b = this.latestBar.get(`${s}|${ch.slice(5)}`)?.bar;
        if (b && !(noFinal && b.final)) bars.push(b);
      }
    }
    const trades = [];
    for (const s of names) {
      const t = this.latestTick(s)?.trade;
      if (t) {
        trades.push({
          symbol: s,
          time: t.time,
          price: t.price,
          size: t.size,
          sequence: t.sequence,
        });
      }
    }
    return { bars, trades };
  }

  /** Latest trade and quote of a symbol (null fields when none yet). */
  latestTick(symbol: string): LatestTickJson | null {
    const id = this.symbolId(symbol);
    if (id < 0) return null;
    if (!this.latest) return { symbol, trade: this.trades.get(symbol) ?? null, quote: null };
    const f = this.latest, L = id * LATEST.slots, exp = f[L + LS.exp];
    const trade = f[L + LS.sec] > 0
      ? {
        time: isoNs(f[L + LS.sec], f[L + LS.nsec]),
        price: scalePrice(f[L + LS.price], exp),
        size: f[L + LS.size],
        sequence: f[L + LS.seq],
      }
      : null;
    const quote = f[L + LS.quoteSec] > 0
      ? {
        time: isoNs(f[L + LS.quoteSec], f[L + LS.quoteNsec]),
        bid: scalePrice(f[L + LS.bid], exp),
        bid_size: f[L + LS.bidSize],
        ask: scalePrice(f[L + LS.ask], exp),
        ask_size: f[L + LS.askSize],
      }
      : null;
    return { symbol, trade, quote };
  }
}
