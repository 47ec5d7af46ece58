/**
 * Runs the pipeline: allocates the receive ring, starts the pipeline Worker
 * (consumer) and the native feed thread (producer), reports status, and on
 * the end of a finite feed, a signal or --duration stops the feed, lets the
 * Worker drain every record, and returns the summary. Nothing received is
 * left behind: the feed is joined first, then the ring is drained.
 *
 * @example
 * ```ts
 * import { parseRunArgs } from "../cli/args.ts";
 * import { runPipeline } from "./run.ts";
 * const summary = await runPipeline(parseRunArgs(["--count", "10000", "--rate", "0", "--quiet"]));
 * console.log(summary.ticks); // 10000
 * ```
 * @module
 */
import type { RunOptions } from "../cli/args.ts";
import { createRing, RingConsumer, ringCounters } from "../ring/ring.ts";
import { FeedError, FeedState, type FeedStats, NativeFeed } from "../native/feed.ts";
import { feedConfig } from "../feeds/select.ts";
import { C, createCounters, snapshot } from "./counters.ts";
import { createControl, Ctl, type WorkerDone } from "./protocol.ts";
import { Idler } from "./idle.ts";
import { formatStatus } from "../cli/status.ts";
import { type EventHandlers, EventReader, type LateEvent } from "../bars/events.ts";
import { barLine, NdjsonWriter, scalePrice } from "../bars/ndjson.ts";
import { isoNs } from "../bars/duration.ts";
import { HIST_SLOTS, Histogram, type Percentiles } from "./latency.ts";
import { MarketState } from "../server/state.ts";
import { KIND_NAMES } from "../anomaly/rules.ts";
import { type LoadedModel, loadModel, ModelError } from "../anomaly/model.ts";
import type { ModelFlag } from "../anomaly/scorer_worker.ts";
import { FEATURE_NAMES } from "../anomaly/features.ts";
import { Hub } from "../server/hub.ts";
import { type RunningServer, startServer } from "../server/app.ts";
import { LATEST_STRIDE, TickWant } from "./consumer.ts";
import { ClusterPublisher, type PublisherStats } from "../cluster/publisher.ts";
import { ClusterError } from "../cluster/nats.ts";
import { barJson } from "../bars/ndjson.ts";

/** The JSON summary printed at exit. */
export interface Summary {
  feed: string;
  stopped_by: "eof" | "signal" | "duration" | "error";
  elapsed_s: number;
  frames: number;
  ticks: number;
  trades: number;
  quotes: number;
  malformed: number;
  malformed_frames: number;
  malformed_packets: number;
  gaps: number;
  missing: number;
  duplicates: number;
  out_of_order: number;
  ring_drops: number;
  late: number;
  bars: number;
  symbols: number;
  symbol_overflow: number;
  /** trade/quote events for subscribers dropped because the main thread lagged */
  tick_event_drops: number;
  /** ticks of symbols another shard owns (--shard) */
  foreign: number;
  volume: number;
  checksum: number;
  heartbeats: number;
  unknown_kind: number;
  labelled: number;
  ticks_per_s: number;
  gap_events: { session: number; first: number; last: number }[];
  feed_stats: {
    packets: number;
    offered: number;
    pushed: number;
    non_udp: number;
    other_port: number;
    kernel_drops: number;
    naps: number;
  };
  port?: {
    ipackets: number;
    imissed: number;
    ierrors: number;
    rx_nombuf: number;
  };
  consumer_naps: number;
  late_by_symbol: Record<string, number>;
  late_events: { symbol: string; time: string; seq: number; price: number; size: number }[];
  bar_updates: number;
  event_waits: number;
  bars_out_lines: number;
  bar_state_bytes: number;
  anomalies: number;
  anomalies_by_kind: Record<string, number>;
  anomaly_event_drops: number;
  model: Record<string, unknown> | null;
  /** receive (C rx stamp) to bar update (TS), per tick */
  latency_ns: Percentiles;
  trades_by_symbol: Record<string, number>;
  labels: Record<string, number>;
  /** processors: what went to NATS (durable = JetStream) */
  cluster?: PublisherStats & { shard: string | null; unacked: number };
  error?: string;
}

/** Thrown when the feed cannot start with the given settings (exit 2). */
export class FeedStartError extends Error {
  override name = "FeedStartError";
}

const LABELS = [
  "none",
  "price_spike",
  "fat_finger",
  "volume_burst",
  "stale",
  "crossed_quote",
];

/** Runs until the feed ends, a signal, or --duration; returns the summary. */
export async function runPipeline(
  o: RunOptions,
  signal?: AbortSignal,
): Promise<Summary> {
  // The anomaly model is checked before anything starts: a missing or
  // corrupt file is a usage error, not a failure an hour later.
  let model: LoadedModel | undefined;
  if (o.model) {
    try {
      model = await loadModel(o.model);
    } catch (e) {
      if (e instanceof ModelError) throw new FeedStartError(e.message);
      throw e;
    }
  }
  // A processor reaches NATS and sets up the stream before the feed starts.
  let publisher: ClusterPublisher | undefined;
  if (o.role === "processor") {
    try {
      publisher = await ClusterPublisher.start({
        servers: o.nats!,
        name: `tickwire-processor${o.shard ? `-${o.shard.index}/${o.shard.count}` : ""}`,
        quiet: o.quiet,
        stream: {
          name: o.stream,
          retentionMs: o.retentionMs,
          maxBytes: o.streamMaxBytes,
          replicas: o.replicas,
          timeoutMs: o.natsTimeoutMs,
        },
      });
    } catch (e) {
      if (e instanceof ClusterError) throw new FeedStartError(`--nats: ${e.message}`);
      throw e;
    }
  }
  const rowsRing = model ? createRing(16 << 20, 4096) : undefined;
  const ring = createRing(o.ringSize, o.maxRecord);
  const eventRing = createRing(4 << 20, 4096);
  const events = new EventReader(new RingConsumer(eventRing));
  const counters = createCounters();
  const latency = new Histogram(new Float64Array(new SharedArrayBuffer(HIST_SLOTS * 8)));
  const latest = new Float64Array(new SharedArrayBuffer(o.maxSymbols * LATEST_STRIDE * 8));
  const control = createControl();
  // trades go to NATS, every one: the Worker waits for room rather than drop
  const baseWant = publisher ? TickWant.trades | TickWant.lossless : 0;
  Atomics.store(control, Ctl.want, baseWant);
  const cfg = feedConfig(o);

  const worker = new Worker(new URL("./worker.ts", import.meta.url).href, {
    type: "module",
  });
  const done = new Promise<WorkerDone>((resolve, reject) => {
    worker.onmessage = (e) => {
      if (e.data?.type === "done") resolve(e.data as WorkerDone);
      else if (e.data?.type === "error") {
        reject(new Error(`pipeline worker failed: ${e.data.message}`));
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`pipeline worker failed: ${e.message}`));
    };
  });
  const ready = new Promise<void>((resolve) => {
    const prev = worker.onmessage;
    worker.onmessage = (e) => {
      if (e.data?.type === "ready") resolve();
      prev?.call(worker, e);
    };
  });
  worker.postMessage({
    type: "start",
    ring,
    counters,
    control,
    idle: o.idle,
    spins: o.spins,
    sleepUs: o.sleepUs,
    maxSymbols: o.maxSymbols,
    events: eventRing,
    latency: latency.slots,
    latest,
    liveBarsMs: o.http || publisher ? 250 : 0,
    anomaly: o.anomaly,
    rows: rowsRing,
    idleCloseMs: o.idleCloseMs,
    shard: o.shard,
    bars: {
      windowsMs: o.windowsMs,
      latenessMs: o.latenessMs,
      alignOffsetMs: o.alignOffsetMs,
      fill: o.fill === "prev",
      maxSymbols: o.maxSymbols,
    },
  });
  await ready;

  // Events from the pipeline: symbol names, final bars, late ticks.
  const names: string[] = [];
  const lateEvents: LateEvent[] = [];
  let barsOut: NdjsonWriter | undefined, anomaliesOut: NdjsonWriter | undefined;
  for (const [flag, path] of [["--bars-out", o.barsOut], ["--anomalies-out", o.anomaliesOut]]) {
    if (!path) continue;
    try {
      const w = NdjsonWriter.open(path);
      if (flag === "--bars-out") barsOut = w;
      else anomaliesOut = w;
    } catch (e) {
      Atomics.store(control, Ctl.command, Ctl.abort);
      Idler.wake(control, Ctl.wake);
      await done.catch(() => {});
      worker.terminate();
      barsOut?.close();
      throw new FeedStartError(`${flag}: cannot write ${path}: ${(e as Error).message}`);
    }
  }
  const anomalyKinds: Record<string, number> = {};
  const onAnomaly = (
    j: { symbol: string; time: string; seq: number; score: number; kind: string },
  ) => {
    anomalyKinds[j.kind] = (anomalyKinds[j.kind] ?? 0) + 1;
    anomaliesOut?.write(JSON.stringify(j));
    state.onAnomaly(j);
    hub?.anomaly(j);
    publisher?.anomaly(j);
  };
  // The scoring Worker: rows in through a ring, rare flags out by message.
  const scorerControl = new Int32Array(new SharedArrayBuffer(8));
  const scorerStats = new Float64Array(new SharedArrayBuffer(8 * 8));
  let scorer: Worker | undefined, scorerDone: Promise<void> | undefined;
  const startScorer = () => {
    if (!model || !rowsRing) return;
    scorer = new Worker(new URL("../anomaly/scorer_worker.ts", import.meta.url).href, {
      type: "module",
    });
    scorerDone = new Promise<void>((resolve) => {
      scorer!.onmessage = (e) => {
        if (e.data?.type === "done") resolve();
        else if (e.data?.type === "flags") {
          // The symbol's name travels on the event ring, published before its
          // rows; read it first if this message overtook it.
          if ((e.data.flags as ModelFlag[]).some((f) => names[f.symbol] === undefined)) {
            events.poll(handlers);
          }
          for (const f of e.data.flags as ModelFlag[]) {
            onAnomaly({
              symbol: names[f.symbol],
              time: isoNs(f.sec, f.nsec),
              seq: f.seq,
              score: Number(f.score.toFixed(4)),
              kind: "unexplained",
              features: Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, f.features[i]])),
            } as never);
          }
        }
      };
      scorer!.onerror = (e) => {
        e.preventDefault();
        scorerStats[2]++;
        resolve();
      };
    });
    scorer.postMessage({
      rows: rowsRing,
      model: model.bytes,
      threshold: model.meta.threshold,
      maxBatch: o.batchMax,
      maxWaitMs: o.batchWaitMs,
      control: scorerControl,
      stats: scorerStats,
    });
  };
  // The server (main thread): state fed by the same events, and the hub.
  const state = new MarketState(o.windows, latest);
  let hub: Hub | undefined, server: RunningServer | undefined;
  let feedRef: NativeFeed | undefined;
  let lastFeedStats: FeedStats | undefined;
  const t0Wall = performance.now();
  let rateTicks = 0, rateT = t0Wall, rate = 0;
  const statsNow = (): Record<string, unknown> => {
    const c = snapshot(counters), rc = ringCounters(ring);
    const now = performance.now();
    if (now - rateT >= 500) {
      rate = ((c.ticks - rateTicks) * 1000) / (now - rateT);
      rateTicks = c.ticks;
      rateT = now;
    }
    if (feedRef?.alive) lastFeedStats = feedRef.stats();
    const fs = lastFeedStats;
    return {
      feed: cfg.kind,
      uptime_s: Number(((now - t0Wall) / 1000).toFixed(3)),
      ticks_per_s: Math.round(rate),
      pipeline: c,
      ring: {
        used: rc.used,
        capacity: rc.capacity,
        fill: rc.used / rc.capacity,
        drops: rc.drops,
        published: rc.published,
      },
      feed_stats: fs ?? {},
      latency_ns: latency.summary(),
      server: hub?.stats ?? {},
    };
  };
  if (o.http) {
    hub = new Hub(
      {
        token: o.token,
        slowPolicy: o.slowPolicy,
        maxSubscriptions: o.maxSubscriptions,
        maxMessageBytes: 64 * 1024,
        highWater: 1 << 20,
        heartbeatMs: 1000,
        baseWant,
      },
      state,
      control.subarray(Ctl.want, Ctl.want + 1),
      statsNow,
    );
    try {
      server = startServer({
        hostname: o.httpHost,
        port: o.httpPort,
        token: o.token,
        state,
        hub,
        stats: statsNow,
        health: () => ({
          status: "ok",
          feed: cfg.kind,
          feed_state: feedRef?.alive ? feedRef.state() : null,
          windows: o.windows,
          uptime_s: Number(((performance.now() - t0Wall) / 1000).toFixed(3)),
        }),
      });
    } catch (e) {
      hub.close();
      Atomics.store(control, Ctl.command, Ctl.abort);
      Idler.wake(control, Ctl.wake);
      await done.catch(() => {});
      worker.terminate();
      barsOut?.close();
      throw new FeedStartError(
        `--http: cannot listen on ${o.httpHost}:${o.httpPort}: ${
          (e as Error).message
        } (use --http HOST:PORT or --no-http)`,
      );
    }
    if (!o.quiet) {
      console.error(`tickwire: serving ${server.url} (dashboard at /, WebSocket /v1/stream)`);
    }
  }

  const handlers: EventHandlers = {
    symbol: (id, name) => {
      names[id] = name;
      state.onSymbol(id, name);
    },
    bar: (b) => {
      if (b.final && barsOut) barsOut.write(barLine(b, o.windows[b.window], names[b.symbol]));
      if (hub) {
        const j = state.onBar(b);
        hub.bar(j);
        publisher?.bar(j);
      } else if (publisher) publisher.bar(barJson(b, o.windows[b.window], names[b.symbol]));
    },
    late: (l) => {
      if (lateEvents.length < 1000) lateEvents.push(l);
      const j = state.onLate(l);
      hub?.late(j);
    },
    gap: (session, first, last) => {
      state.onGap(session, first, last);
      hub?.gap(session, first, last);
    },
    tick: (t) => {
      hub?.tickEvent(t);
      if (publisher && t.kind === "trade") {
        publisher.trade(
          names[t.symbol],
          t.sec,
          t.nsec,
          scalePrice(t.price, t.exp),
          t.size,
          t.side,
          t.seq,
        );
      }
    },
    anomaly: (a) => {
      const j = {
        symbol: a.symbol < 0 ? "*" : names[a.symbol],
        time: isoNs(a.sec, a.nsec),
        seq: a.seq,
        score: Number(a.score.toFixed(4)),
        kind: KIND_NAMES[a.kind] ?? "unexplained",
        price: scalePrice(a.price, a.exp),
        size: a.size,
        ...(a.features
          ? { features: Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, a.features![i]])) }
          : {}),
      };
      onAnomaly(j);
    },
  };

  let feed: NativeFeed;
  try {
    feed = NativeFeed.start(cfg.kind, ring, cfg.options);
    feedRef = feed;
    startScorer(); // only now: a failed start leaves no onnxruntime thread behind
  } catch (e) {
    await server?.close();
    Atomics.store(control, Ctl.command, Ctl.abort);
    Idler.wake(control, Ctl.wake);
    await done.catch(() => {});
    worker.terminate();
    if (e instanceof FeedError) {
      throw new FeedStartError(`${cfg.kind} feed: ${e.message}`);
    }
    throw e;
  }

  if (!o.quiet) {
    console.error(`tickwire: ${cfg.kind} feed running; Ctrl-C stops and prints the summary`);
  }
  const t0 = performance.now();
  let stoppedBy: Summary["stopped_by"] = "signal";
  let lastTicks = 0, lastT = t0, lastStatus = t0;
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  const status = (final = false) => {
    const now = performance.now();
    const ticks = counters[C.ticks];
    const rc = ringCounters(ring);
    const line = formatStatus({
      feed: cfg.kind,
      rate: (ticks - lastTicks) / Math.max(1e-3, (now - lastT) / 1000),
      ticks,
      fill: rc.used / rc.capacity,
      drops: rc.drops,
      gaps: counters[C.gaps],
      malformed: counters[C.malformed],
    });
    lastTicks = ticks;
    lastT = now;
    Deno.stderr.writeSync(
      enc.encode(tty ? `\r${line}\x1b[K${final ? "\n" : ""}` : `${line}\n`),
    );
  };

  let feedError = "";
  while (true) {
    if (signal?.aborted) break;
    const st = feed.state();
    if (st === FeedState.failed) {
      feedError = feed.error();
      stoppedBy = "error";
      break;
    }
    if (st === FeedState.eof && (cfg.finite || o.exitOnEof)) {
      stoppedBy = "eof";
      break;
    }
    const now = performance.now();
    if (o.duration > 0 && now - t0 >= o.duration * 1000) {
      stoppedBy = "duration";
      break;
    }
    if (
      !o.quiet && o.statusInterval > 0 &&
      now - lastStatus >= o.statusInterval * 1000
    ) {
      lastStatus = now;
      status();
    }
    events.poll(handlers);
    barsOut?.flush();
    anomaliesOut?.flush();
    await new Promise((r) => setTimeout(r, 10));
  }

  // Stop the producer first (joins the thread, closes the ring), then let
  // the worker drain everything already in the ring.
  const fs: FeedStats = feed.stop();
  Atomics.store(control, Ctl.command, Ctl.drain);
  Idler.wake(control, Ctl.wake);
  // Keep reading events while the worker drains (it waits when the event
  // ring is full), then read what is left.
  let finished = false;
  done.then(() => (finished = true), () => (finished = true));
  while (!finished) {
    events.poll(handlers);
    await new Promise((r) => setTimeout(r, 5));
  }
  const result = await done;
  while (!events.drained()) events.poll(handlers);
  if (scorer) { // the pipeline closed the rows ring: score what is left
    Atomics.store(scorerControl, 0, 1);
    await scorerDone;
    scorer.terminate();
  }
  worker.terminate();
  barsOut?.close();
  anomaliesOut?.close();
  // Every final bar and anomaly must be stored before a processor exits.
  const unacked = publisher ? await publisher.flush(30_000) : 0;
  await publisher?.close();
  await server?.close();
  const elapsed = (performance.now() - t0) / 1000;
  if (!o.quiet && o.statusInterval > 0) status(true);

  const c = snapshot(counters);
  const summary: Summary = {
    feed: cfg.kind,
    stopped_by: stoppedBy,
    elapsed_s: Number(elapsed.toFixed(3)),
    frames: c.frames,
    ticks: c.ticks,
    trades: c.trades,
    quotes: c.quotes,
    malformed: c.malformed + fs.malformed,
    malformed_frames: c.malformed,
    malformed_packets: fs.malformed,
    gaps: c.gaps,
    missing: c.missing,
    duplicates: c.duplicates,
    out_of_order: c.outOfOrder,
    ring_drops: fs.ringDrops,
    late: c.late,
    bars: c.bars,
    symbols: c.symbols,
    symbol_overflow: c.symbolOverflow,
    tick_event_drops: c.tickEventDrops,
    foreign: c.foreign,
    volume: c.volume,
    checksum: c.checksum,
    heartbeats: c.heartbeats,
    unknown_kind: c.unknownKind,
    labelled: c.labelled,
    ticks_per_s: Math.round(c.ticks / Math.max(elapsed, 1e-9)),
    gap_events: result.gapEvents,
    feed_stats: {
      packets: fs.packets,
      offered: fs.offered,
      pushed: fs.pushed,
      non_udp: fs.nonUdp,
      other_port: fs.otherPort,
      kernel_drops: fs.kernelDrops,
      naps: fs.naps,
    },
    consumer_naps: c.naps,
    trades_by_symbol: Object.fromEntries(
      result.symbols.map((s, i) => [s, result.tradesBySymbol[i]]),
    ),
    late_by_symbol: Object.fromEntries(
      result.symbols.map((s, i) => [s, result.lateBySymbol[i] ?? 0]).filter(([, n]) => n),
    ),
    late_events: lateEvents.slice(0, 100).map((l) => ({
      symbol: names[l.symbol],
      time: isoNs(l.sec, l.nsec),
      seq: l.seq,
      price: scalePrice(l.price, l.exp),
      size: l.size,
    })),
    bar_updates: result.barUpdates,
    event_waits: result.eventWaits,
    bars_out_lines: barsOut?.lines ?? 0,
    bar_state_bytes: result.barStateBytes,
    anomalies: Object.values(anomalyKinds).reduce((x, y) => x + y, 0),
    anomalies_by_kind: anomalyKinds,
    anomaly_event_drops: result.anomalyDrops,
    model: model
      ? {
        file: o.model,
        threshold: model.meta.threshold,
        rows_written: result.rowsWritten,
        rows_dropped: result.rowsDropped,
        rows_scored: scorerStats[0],
        flagged: scorerStats[1],
        inference_errors: scorerStats[2],
        batches: scorerStats[3],
        ns_per_row: scorerStats[0] ? Math.round(scorerStats[4] / scorerStats[0]) : 0,
        added_latency_ms: {
          mean: scorerStats[0] ? Number((scorerStats[5] / scorerStats[0] / 1e6).toFixed(3)) : 0,
          max: Number((scorerStats[6] / 1e6).toFixed(3)),
        },
      }
      : null,
    latency_ns: latency.summary(),
    labels: Object.fromEntries(
      LABELS.map((l, i) => [l, result.labels[i]]).filter(([l, n]) => l !== "none" && n),
    ),
  };
  if (cfg.kind === "dpdk") {
    summary.port = {
      ipackets: fs.portIpackets,
      imissed: fs.portImissed,
      ierrors: fs.portIerrors,
      rx_nombuf: fs.portNombuf,
    };
  }
  if (publisher) {
    summary.cluster = {
      shard: o.shard ? `${o.shard.index}/${o.shard.count}` : null,
      ...publisher.stats,
      unacked,
    };
    if (unacked > 0 && !feedError) {
      feedError = `${unacked} final bars/anomalies not acknowledged by JetStream within 30 s`;
    }
  }
  if (feedError) summary.error = feedError;
  return summary;
}
