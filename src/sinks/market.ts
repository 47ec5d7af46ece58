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
   * `lag`: once the server has been more than `maxNs` behind the feed
   * (receive time to `now()`, CLOCK_MONOTONIC ns) for longer than `maxNs`,
   * trades and quotes are skipped, counted per subscriber, until it is
   * within `maxNs / 2` again: an overloaded server catches up instead of
   * queueing ever older ticks, while a stall it recovers from on its own
   * (a descheduled thread) loses nothing.
   */
  constructor(
    private readonly state: MarketState,
    private readonly hub: Hub,
    private readonly wire?: Histogram,
    private readonly lag?: { maxNs: number; now: () => number },
  ) {}
  /** when the server fell more than `lag.maxNs` behind (0 = it is not) */
  private behindSince = 0;

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
    if (this.lag !== undefined && t.rx > 0 && this.behind(t.rx, this.lag)) {
      return this.hub.tickSkipped(t, symbol);
    }
    // event time to send, of trades that went to a subscriber (a symbol's first ticks cross
    // before the server knows who wants them)
    if (this.hub.tickEvent(t, symbol) && this.wire !== undefined && t.kind === "trade") {
      this.wire.record(wallNs() - (t.sec * 1e9 + t.nsec), 1);
    }
  }
  /** True while the server has been more than `maxNs` behind for longer than `maxNs`. */
  private behind(rx: number, lag: { maxNs: number; now: () => number }): boolean {
    const now = lag.now(), delay = now - rx;
    if (delay <= lag.maxNs / 2) this.behindSince = 0;
    else if (delay > lag.maxNs && this.behindSince === 0) this.behindSince = now;
    return this.behindSince !== 0 && now - this.behindSince > lag.maxNs;
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
