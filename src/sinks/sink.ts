/**
 * Where pipeline events go. Every consumer of events (NDJSON files, the
 * server's market state and WebSocket hub, the cluster publisher, the run
 * record behind the summary) is an `EventSink`; the `Fanout` turns each
 * event into its JSON form once, with the symbol's name, and hands it to
 * every sink that takes that kind. Nothing upstream knows which sinks run.
 *
 * @example
 * ```ts
 * import { Fanout } from "./sink.ts";
 * const seen: string[] = [];
 * const fan = new Fanout(["1s"], ["f0"], [{ symbol: (_id, name) => void seen.push(name) }]);
 * fan.handlers.symbol!(0, "AAPL");
 * console.log(seen, fan.names[0]); // [ "AAPL" ] AAPL
 * ```
 * @module
 */
import type { TickEvent } from "../pipeline/events.ts";
import type { EventHandlers } from "../pipeline/event_reader.ts";
import type { BarEvent } from "../bars/bar.ts";
import type { ModelFlag } from "../anomaly/scorer.ts";
import {
  type AnomalyJson,
  anomalyJson,
  type BarJson,
  barJson,
  type FeatureNames,
  type GapJson,
  type LateJson,
  lateJson,
  modelFlagJson,
  type NoticeJson,
  noticeJson,
  type RejectedJson,
  rejectedJson,
} from "../server/messages.ts";

/** A consumer of pipeline events; every method is optional. */
export interface EventSink {
  symbol?(id: number, name: string): void;
  /** a bar (final, provisional or in progress), in JSON form and as decoded */
  bar?(j: BarJson, ev: BarEvent): void;
  late?(j: LateJson): void;
  gap?(j: GapJson): void;
  /** a trade or quote a subscriber (or the cluster) asked for */
  tick?(t: TickEvent, symbol: string): void;
  anomaly?(j: AnomalyJson): void;
  notice?(j: NoticeJson): void;
  rejected?(j: RejectedJson): void;
  /** called on every main-loop pass: write out what is buffered */
  flush?(): void;
  /** the end: write out and release; may wait (acknowledgements) */
  close?(): Promise<void> | void;
}

/** Fans events out to sinks. */
export class Fanout {
  /** symbol id -> name */
  readonly names: string[] = [];
  /** EventReader callbacks feeding the sinks */
  readonly handlers: EventHandlers;
  private readonly anomalySinks: EventSink[];

  constructor(
    private readonly windows: readonly string[],
    private readonly features: FeatureNames,
    private readonly sinks: EventSink[],
  ) {
    this.anomalySinks = sinks.filter((s) => s.anomaly !== undefined);
    this.handlers = this.makeHandlers();
  }

  /** Handlers only for the kinds some sink takes (no JSON is built for nobody). */
  private makeHandlers(): EventHandlers {
    const take = <K extends keyof EventSink>(k: K) => this.sinks.filter((s) => s[k] !== undefined);
    const bar = take("bar"), late = take("late"), gap = take("gap");
    const tick = take("tick"), symbol = take("symbol");
    const notice = take("notice"), rejected = take("rejected");
    const name = (id: number) => this.names[id];
    const h: EventHandlers = {
      symbol: (id, n) => {
        this.names[id] = n;
        for (const s of symbol) s.symbol!(id, n);
      },
      anomaly: (a) =>
        this.anomaly(anomalyJson(a, a.symbol < 0 ? "*" : name(a.symbol), this.features)),
    };
    if (bar.length) {
      h.bar = (b) => {
        const j = barJson(b, this.windows[b.window], name(b.symbol));
        for (const s of bar) s.bar!(j, b);
      };
    }
    if (late.length) {
      h.late = (l) => {
        const j = lateJson(l, name(l.symbol));
        for (const s of late) s.late!(j);
      };
    }
    if (gap.length) {
      h.gap = (session, first, last) => {
        for (const s of gap) s.gap!({ session, first, last });
      };
    }
    if (notice.length) {
      h.notice = (n) => {
        const j = noticeJson(n);
        for (const s of notice) s.notice!(j);
      };
    }
    if (rejected.length) {
      h.rejected = (r) => {
        const j = rejectedJson(r);
        for (const s of rejected) s.rejected!(j);
      };
    }
    if (tick.length) {
      h.tick = (t) => {
        for (const s of tick) s.tick!(t, name(t.symbol));
      };
    }
    return h;
  }

  /** An anomaly from any stage. */
  anomaly(j: AnomalyJson): void {
    for (const s of this.anomalySinks) s.anomaly!(j);
  }

  /**
   * Model flags. A flag's symbol name travels on the event ring, published
   * before its rows: `pollEvents` reads the ring first if a flag overtook it.
   */
  flags(flags: ModelFlag[], pollEvents: () => void): void {
    if (flags.some((f) => this.names[f.symbol] === undefined)) pollEvents();
    for (const f of flags) this.anomaly(modelFlagJson(f, this.names[f.symbol], this.features));
  }

  /** Every sink's flush. */
  flush(): void {
    for (const s of this.sinks) s.flush?.();
  }

  /** Every sink's close, in order. */
  async close(): Promise<void> {
    for (const s of this.sinks) await s.close?.();
  }
}
