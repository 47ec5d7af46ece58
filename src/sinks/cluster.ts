/**
 * The processor's sink: trades, bars and anomalies go to NATS through the
 * cluster publisher. At the end it waits until JetStream acknowledged every
 * final bar and anomaly (at most `ackTimeoutMs`) and records how many were
 * not.
 *
 * @example
 * ```ts ignore
 * const sink = new ClusterSink(publisher);
 * await sink.close();
 * console.log(sink.unacked);
 * ```
 * @module
 */
import type { EventSink } from "./sink.ts";
import type { ClusterPublisher } from "../cluster/publisher.ts";
import { type AnomalyJson, type BarJson, scalePrice } from "../server/messages.ts";
import type { TickEvent } from "../pipeline/events.ts";

/** Publishes to NATS. */
export class ClusterSink implements EventSink {
  /** final bars and anomalies not acknowledged at close */
  unacked = 0;

  constructor(readonly publisher: ClusterPublisher, private readonly ackTimeoutMs = 30_000) {}

  bar(j: BarJson): void {
    this.publisher.bar(j);
  }
  anomaly(j: AnomalyJson): void {
    this.publisher.anomaly(j);
  }
  tick(t: TickEvent, symbol: string): void {
    if (t.kind !== "trade") return;
    const price = scalePrice(t.price, t.exp);
    this.publisher.trade(symbol, t.sec, t.nsec, price, t.size, t.side, t.seq);
  }
  async close(): Promise<void> {
    this.unacked = await this.publisher.flush(this.ackTimeoutMs);
    await this.publisher.close();
  }
}
