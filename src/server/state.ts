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
 * const s = new MarketState(["1s", "1m"], new Float64Array(12 * 16), 100);
 * s.onSymbol(0, "AAPL");
 * console.log(s.symbolId("AAPL")); // 0
 * ```
 * @module
 */
import type { BarEvent, LateEvent } from "../bars/events.ts";
import { type BarJson, barJson, scalePrice } from "../bars/ndjson.ts";
import { isoNs } from "../bars/duration.ts";
import type { AnomalyJson } from "./outbound.ts";

export type { BarJson };
import { LATEST, LATEST_STRIDE } from "../pipeline/consumer.ts";

/** An anomaly as served (JSON); produced by the anomaly stage. */
export type { AnomalyJson };

/** Server-side market state. */
export class MarketState {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  /** final bars per `${symbol}|${window}`, oldest first, at most `history` */
  private readonly hist = new Map<string, { starts: number[]; bars: BarJson[] }>();
  /** latest bar per `${symbol}|${window}` (in progress or final) */
  readonly latestBar = new Map<string, BarJson>();
  readonly anomalies: AnomalyJson[] = [];
  readonly late: { symbol: string; time: string; seq: number; price: number; size: number }[] = [];
  readonly gaps: { session: number; first: number; last: number }[] = [];

  constructor(
    readonly windows: string[],
    private readonly latest: Float64Array,
    readonly history = 2000,
  ) {}

  onSymbol(id: number, name: string): void {
    this.names[id] = name;
    this.ids.set(name, id);
  }

  /** Id of a known symbol, or -1. */
  symbolId(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  /** Records a bar event; returns its JSON form. */
  onBar(b: BarEvent): BarJson {
    return this.onBarJson(barJson(b, this.windows[b.window], this.names[b.symbol]), b.start);
  }

  /** Records a bar already in JSON form (a gateway's bars from NATS). */
  onBarJson(j: BarJson, start = Date.parse(j.start)): BarJson {
    const key = `${j.symbol}|${j.window}`;
    const cur = this.latestBar.get(key);
    if (!cur || start >= Date.parse(cur.start)) this.latestBar.set(key, j);
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

  onLate(l: LateEvent): { symbol: string; time: string; seq: number; price: number; size: number } {
    const j = {
      symbol: this.names[l.symbol],
      time: isoNs(l.sec, l.nsec),
      seq: l.seq,
      price: scalePrice(l.price, l.exp),
      size: l.size,
    };
    this.late.push(j);
    if (this.late.length > 1000) this.late.shift();
    return j;
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
  bars(symbol: string, window: string, from: number, to: number, limit: number): BarJson[] {
    const h = this.hist.get(`${symbol}|${window}`);
    const out: BarJson[] = [];
    if (h) {
      for (let i = 0; i < h.bars.length; i++) {
        if (h.starts[i] >= from && h.starts[i] < to) out.push(h.bars[i]);
      }
    }
    const cur = this.latestBar.get(`${symbol}|${window}`);
    if (cur && !cur.final) {
      const s = Date.parse(cur.start);
      if (s >= from && s < to && (out.length === 0 || Date.parse(out[out.length - 1].start) < s)) {
        out.push(cur);
      }
    }
    return out.slice(Math.max(0, out.length - limit));
  }

  /** Latest trade and quote of a symbol (null fields when none yet). */
  latestTick(symbol: string) {
    const id = this.symbolId(symbol);
    if (id < 0) return null;
    const f = this.latest, L = id * LATEST_STRIDE, exp = f[L + LATEST.exp];
    const trade = f[L + LATEST.sec] > 0
      ? {
        time: isoNs(f[L + LATEST.sec], f[L + LATEST.nsec]),
        price: scalePrice(f[L + LATEST.price], exp),
        size: f[L + LATEST.size],
        seq: f[L + LATEST.seq],
      }
      : null;
    const quote = f[L + LATEST.quoteSec] > 0
      ? {
        time: isoNs(f[L + LATEST.quoteSec], f[L + LATEST.quoteNsec]),
        bid: scalePrice(f[L + LATEST.bid], exp),
        bid_size: f[L + LATEST.bidSize],
        ask: scalePrice(f[L + LATEST.ask], exp),
        ask_size: f[L + LATEST.askSize],
      }
      : null;
    return { symbol, trade, quote };
  }
}
