/**
 * The server's sink: pipeline events update the market state (REST,
 * snapshots) and go out to WebSocket subscribers through the hub.
 *
 * @example
 * ```ts ignore
 * const sink = new MarketSink(state, hub);
 * ```
 * @module
 */
import type { EventSink } from "./sink.ts";
import type { MarketState } from "../server/state.ts";
import type { Hub } from "../server/hub.ts";
import type {
  AnomalyJson,
  BarJson,
  GapJson,
  LateJson,
  NoticeJson,
  RejectedJson,
} from "../server/messages.ts";
import type { BarEvent } from "../bars/bar.ts";
import type { TickEvent } from "../pipeline/events.ts";
import { type Histogram, wallNs } from "../pipeline/latency.ts";

/** Market state plus WebSocket fan-out. */
export class MarketSink implements EventSink {
  /**
   * `wire`: records event-time-to-send latency of trades (--wire-latency).
   * `lag`: a trade or quote received more than `maxNs` before `now()`
   * (CLOCK_MONOTONIC ns) is skipped, counted per subscriber, so a server
   * that fell behind catches up instead of queueing ever older ticks.
   */
  constructor(
    private readonly state: MarketState,
    private readonly hub: Hub,
    private readonly wire?: Histogram,
    private readonly lag?: { maxNs: number; now: () => number },
  ) {}
  symbol(id: number, name: string): void {
    this.state.onSymbol(id, name);
  }
  bar(j: BarJson, ev: BarEvent): void {
    this.hub.bar(this.state.onBar(j, ev.start));
  }
  late(j: LateJson): void {
    this.state.onLate(j);
    this.hub.late(j);
  }
  gap(j: GapJson): void {
    this.state.onGap(j.session, j.first, j.last);
    this.hub.gap(j);
  }
  tick(t: TickEvent, symbol: string): void {
    const lag = this.lag;
    if (lag !== undefined && t.rx > 0 && lag.now() - t.rx > lag.maxNs) {
      return this.hub.tickSkipped(t, symbol);
    }
    this.hub.tickEvent(t, symbol);
    if (this.wire !== undefined && t.kind === "trade") {
      this.wire.record(wallNs() - (t.sec * 1e9 + t.nsec), 1);
    }
  }
  notice(j: NoticeJson): void {
    this.hub.notice("notice", j);
  }
  rejected(j: RejectedJson): void {
    this.hub.notice("rejected", j);
  }
  anomaly(j: AnomalyJson): void {
    this.state.onAnomaly(j);
    this.hub.anomaly(j);
  }
}
