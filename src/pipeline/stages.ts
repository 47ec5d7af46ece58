/**
 * The pipeline Worker's per-tick stages, built from its start message: the
 * event writer, the bar aggregator and the tick consumer (with the anomaly
 * rules, features and feature rows when asked). One home for how they are
 * put together, for the Worker and for its JIT warm-up (warmup.ts).
 *
 * @example
 * ```ts ignore
 * const { consumer, events } = buildStages(msg);
 * ring.poll(consumer.onRecord, 4096);
 * events.flush();
 * ```
 * @module
 */
import { TickConsumer } from "./consumer.ts";
import { Ctl, type WorkerStart } from "./protocol.ts";
import { EventWriter } from "./events.ts";
import { BarAggregator } from "../bars/aggregator.ts";
import { Histogram } from "./latency.ts";
import { AnomalyRules } from "../anomaly/rules.ts";
import { RowWriter } from "../anomaly/rows.ts";
import { FeatureExtractor } from "../anomaly/features.ts";
import { native } from "../native/lib.ts";

/** What the Worker runs per tick. */
export interface Stages {
  events: EventWriter;
  bars?: BarAggregator;
  consumer: TickConsumer;
}

/** Builds the stages on the shared memory the start message names. */
export function buildStages(msg: WorkerStart): Stages {
  const events = new EventWriter(msg.events, { word: msg.control, index: Ctl.events });
  const bars = msg.bars ? new BarAggregator(msg.bars, events) : undefined;
  const now = native().symbols.tw_now_ns;
  const consumer = new TickConsumer({
    maxSymbols: msg.maxSymbols,
    counters: msg.counters,
    bars,
    events,
    latency: new Histogram(msg.latency),
    wire: msg.wireLatency ? new Histogram(msg.wire) : undefined,
    clock: () => now(),
    latest: msg.latest,
    keepLatest: msg.keepLatest,
    rules: msg.anomaly ? new AnomalyRules(msg.maxSymbols) : undefined,
    rows: msg.rows ? new RowWriter(msg.rows, msg.rowsWait) : undefined,
    features: msg.rows ? new FeatureExtractor(msg.maxSymbols) : undefined,
    want: msg.control.subarray(Ctl.want, Ctl.want + 1),
    interest: msg.interest,
    shard: msg.shard,
    ...msg.guard,
  });
  return { events, bars, consumer };
}
