/**
 * What subscribers want of the per-tick events, told to whoever feeds the
 * hub: overall (`onDemand`: does anyone want trades, quotes) and per symbol
 * (`onInterest`: its subscriptions may have changed; `interest` says what
 * is wanted for it now), so the pipeline only sends ticks someone reads.
 *
 * @example
 * ```ts
 * import { TickDemand } from "./demand.ts";
 * import { SubIndex } from "./sub_index.ts";
 * const index = new SubIndex<string>();
 * const demand = new TickDemand(index, { onDemand: (d) => console.log(d) });
 * index.add("trades", "AAPL", "client-1");
 * demand.changed(["trades"], ["AAPL"]); // { trades: true, quotes: false }
 * console.log(demand.interest("AAPL"), demand.interest("MSFT")); // 1 0
 * ```
 * @module
 */
import type { SubIndex } from "./sub_index.ts";
import { TickWant } from "../pipeline/shared.ts";

/** Which per-tick events some subscriber wants. */
export interface Demand {
  trades: boolean;
  quotes: boolean;
}

/** Who is told. */
export interface DemandListener {
  /** the set of wanted per-tick events changed */
  onDemand?: (d: Demand) => void;
  /** trades or quotes subscriptions for a symbol ("*": all) may have changed */
  onInterest?: (symbol: string) => void;
}

const TICK_CHANNELS: readonly string[] = ["trades", "quotes"];

/** Demand for trades and quotes, overall and per symbol. */
export class TickDemand {
  private last: Demand = { trades: false, quotes: false };

  constructor(private readonly index: SubIndex<unknown>, private readonly to: DemandListener) {}

  /** TickWant bits wanted for `symbol` now (by name or "*"). */
  interest(symbol: string): number {
    return (this.index.wants("trades", symbol) ? TickWant.trades : 0) |
      (this.index.wants("quotes", symbol) ? TickWant.quotes : 0);
  }

  /** After subscriptions to `channels` for `symbols` were added or removed. */
  changed(channels: Iterable<string>, symbols: Iterable<string>): void {
    const d = { trades: this.index.has("trades"), quotes: this.index.has("quotes") };
    if (d.trades !== this.last.trades || d.quotes !== this.last.quotes) {
      this.last = d;
      this.to.onDemand?.(d);
    }
    const tell = this.to.onInterest;
    if (tell === undefined || ![...channels].some((ch) => TICK_CHANNELS.includes(ch))) return;
    for (const s of symbols) tell(s);
  }
}
