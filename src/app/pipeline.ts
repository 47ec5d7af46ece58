/**
 * A pipeline role (standalone or processor), composed: the anomaly model is
 * checked, the pipeline Worker starts, the sinks open (NDJSON files, the
 * server, the role's own), then the feed thread and the scorer. On the end
 * of a finite feed, a signal or `--duration` the feed stops first, the
 * Worker drains every record, the scorer scores what is left, every sink
 * closes, and the summary is built. A failed start undoes what started.
 *
 * @example
 * ```ts ignore
 * const summary = await runPipeline(parseRunArgs(["--count", "10000", "--rate", "0", "--quiet"]));
 * console.log(summary.ticks); // 10000
 * ```
 * @module
 */
import type { RunOptions } from "../cli/args.ts";
import { FeedError, FeedState, type FeedStats, NativeFeed } from "../native/feed.ts";
import { native } from "../native/lib.ts";
import { nextTurn, PipelineHost, WorkerFailed } from "../pipeline/host.ts";
import { snapshot } from "../pipeline/counters.ts";
import { WANT_ALL, wantOf } from "../pipeline/shared.ts";
import { SymbolInterest } from "../pipeline/interest.ts";
import { ringCounters } from "../ring/ring.ts";
import type { LoadedModel } from "../anomaly/model.ts";
import { Scorer } from "../anomaly/scorer.ts";
import { FEATURE_NAMES } from "../anomaly/features.ts";
import { checkMemory, checkModel, pinMain } from "./preflight.ts";
import { type EventSink, Fanout } from "../sinks/sink.ts";
import { AnomaliesFileSink, BarsFileSink, type FileSink, NdjsonWriter } from "../sinks/ndjson.ts";
import { snakeKeys } from "../server/messages.ts";
import { Histogram } from "../pipeline/latency.ts";
import { MarketSink } from "../sinks/market.ts";
import { RunRecord } from "../sinks/record.ts";
import { MarketState } from "../server/state.ts";
import { ServerStartError } from "../server/app.ts";
import { StatusLine } from "../cli/status.ts";
import {
  type FeedConfig,
  feedConfig,
  feedPosition,
  itchStageSettings,
  liveFeed,
} from "./feed_config.ts";
import { type Http, serveHttp } from "./http.ts";
import { Lifecycle, StartError, type StopReason, waitForStop } from "./lifecycle.ts";
import { buildSummary, type ModelSummary, type Summary } from "./summary.ts";

/** What a role adds to the pipeline. */
export interface PipelineRole {
  /** the role's own sinks (a processor's cluster publisher) */
  sinks: EventSink[];
  /** TickWant bits always set */
  baseWant: number;
  /** in-progress bars are published even without a server */
  liveBars: boolean;
  /** adds the role's part to the summary; may set `error` when none is set */
  finish?(s: Summary): void;
  /** undoes the role's own start (a failed pipeline start) */
  abort?(): Promise<void>;
}

/** The plain role: no extra sinks. */
export const STANDALONE: PipelineRole = { sinks: [], baseWant: 0, liveBars: false };

interface Running {
  o: RunOptions;
  cfg: FeedConfig;
  model?: LoadedModel;
  host: PipelineHost;
  fanout: Fanout;
  record: RunRecord;
  bars?: BarsFileSink;
  files: FileSink[];
  http?: Http;
  feed?: NativeFeed;
  scorer?: Scorer;
  t0: number;
  /** size of the capture a finite feed reads, once known (the status line's position) */
  captureBytes?: number;
  /** event-time-to-WebSocket-send latency of trades (--wire-latency) */
  sendWire?: Histogram;
}

/** --protocol itch: the stage's settings, with the BBO file checked writable now. */
function itchSettings(o: RunOptions) {
  if (o.itch?.bboOut !== undefined) openFile("--bbo-out", o.itch.bboOut).close();
  return itchStageSettings(o, feedConfig(o));
}

function startHost(o: RunOptions, role: PipelineRole, model?: LoadedModel) {
  return PipelineHost.start({
    ringSize: o.ringSize,
    maxRecord: o.maxRecord,
    model: model !== undefined,
    worker: {
      ...{ idle: o.idle, spins: o.spins, sleepUs: o.sleepUs, maxSymbols: o.maxSymbols },
      liveBarsMs: o.http || role.liveBars ? 250 : 0,
      keepLatest: o.http, // only the server reads the latest trade and quote
      anomaly: o.anomaly,
      rowsWait: o.policy === "block",
      idleCloseMs: o.idleCloseMs,
      wireLatency: o.wireLatency,
      shard: o.shard,
      cpu: o.cpus.worker,
      rtPriority: o.rtPriority,
      itch: itchSettings(o),
      guard: {
        maxSkewMs: o.maxSkewMs,
        live: liveFeed(o),
        maxSessions: o.maxSessions,
        maxSeqJump: o.maxSeqJump,
      },
      bars: {
        windowsMs: o.windowsMs,
        latenessMs: o.latenessMs,
        alignOffsetMs: o.alignOffsetMs,
        fill: o.fill === "prev",
        maxSymbols: o.maxSymbols,
      },
    },
  });
}

function openFile(flag: string, path: string): NdjsonWriter {
  try {
    return NdjsonWriter.open(path);
  } catch (e) {
    throw new StartError(`${flag}: cannot write ${path}: ${(e as Error).message}`);
  }
}

/** The NDJSON sinks the command line asks for. */
function fileSinks(o: RunOptions, life: Lifecycle): { bars?: BarsFileSink; sinks: FileSink[] } {
  const sinks: FileSink[] = [];
  let bars: BarsFileSink | undefined;
  if (o.barsOut) {
    sinks.push(bars = new BarsFileSink(openFile("--bars-out", o.barsOut)));
    life.onAbort(() => bars!.close());
  }
  if (o.anomaliesOut) {
    const a = new AnomaliesFileSink(openFile("--anomalies-out", o.anomaliesOut));
    life.onAbort(() => a.close());
    sinks.push(a);
  }
  return { bars, sinks };
}

/** /v1/stats of a pipeline. */
function statsSource(r: Running): () => Record<string, unknown> {
  let rateTicks = 0, rateT = r.t0, rate = 0, lastFeed: FeedStats | undefined;
  return () => {
    const c = snapshot(r.host.counters), rc = ringCounters(r.host.ring), now = performance.now();
    if (now - rateT >= 500) {
      rate = ((c.ticks - rateTicks) * 1000) / (now - rateT);
      rateTicks = c.ticks;
      rateT = now;
    }
    if (r.feed?.alive) lastFeed = r.feed.stats();
    return {
      feed: r.cfg.kind,
      uptime_s: Number(((now - r.t0) / 1000).toFixed(3)),
      ticks_per_s: Math.round(rate),
      pipeline: snakeKeys(c),
      ring: {
        used: rc.used,
        capacity: rc.capacity,
        fill: rc.used / rc.capacity,
        drops: rc.drops,
        published: rc.published,
      },
      feed_stats: snakeKeys(lastFeed ?? {}),
      latency_ns: r.host.latency.summary(),
      server: r.http?.hub.stats ?? {},
    };
  };
}

function health(r: Running): () => Record<string, unknown> {
  return () => ({
    status: "ok",
    feed: r.cfg.kind,
    feed_state: r.feed?.alive ? r.feed.state() : null,
    windows: r.o.windows,
    uptime_s: Number(((performance.now() - r.t0) / 1000).toFixed(3)),
  });
}

/** Starts the server (when --http) and returns its sink. */
function startHttp(r: Running, role: PipelineRole, life: Lifecycle): EventSink[] {
  if (!r.o.http) return [];
  const state = new MarketState(r.o.windows, r.host.latest);
  // ticks only for symbols someone subscribed to (unless the role takes them all)
  const interest = (role.baseWant & WANT_ALL) === 0
    ? new SymbolInterest(r.host.interest, (s) => r.http!.hub.demand.interest(s))
    : undefined;
  try {
    r.http = serveHttp(r.o, state, {
      stats: statsSource(r),
      health: health(r),
      latency: r.host.latency,
      book: r.o.itch ? (symbol, depth) => r.host.book(symbol, depth) : undefined,
      onDemand: (d) => r.host.setWant(wantOf(role.baseWant, d)),
      onInterest: interest && ((symbol) => interest.changed(symbol)),
    });
  } catch (e) {
    if (e instanceof ServerStartError) {
      throw new StartError(`${e.message} (use --http HOST:PORT or --no-http)`);
    }
    throw e;
  }
  life.onAbort(() => r.http!.close());
  if (!r.o.quiet) {
    console.error(`tickwire: serving ${r.http.server.url} (dashboard at /, WebSocket /v1/stream)`);
  }
  const lag = { maxNs: r.o.maxTickLagMs * 1e6, now: native().symbols.tw_now_ns };
  return [...(interest ? [interest] : []), new MarketSink(state, r.http.hub, r.sendWire, lag)];
}

/** Starts the feed thread, then the scorer (so a failed feed leaves no onnxruntime thread). */
function startFeed(r: Running): void {
  try {
    r.t0 = performance.now(); // elapsed_s counts from here
    r.feed = NativeFeed.start(r.cfg.kind, r.host.ring, r.cfg.options);
  } catch (e) {
    if (e instanceof FeedError) throw new StartError(`${r.cfg.kind} feed: ${e.message}`);
    throw e;
  }
  if (r.model && r.host.rowsRing) {
    const { batchMax: maxBatch, batchWaitMs: maxWaitMs } = r.o;
    r.scorer = new Scorer(
      r.model,
      r.host.rowsRing,
      { maxBatch, maxWaitMs },
      (flags) => r.fanout.flags(flags, () => r.host.events.poll(r.fanout.handlers)),
    );
  }
}

async function start(o: RunOptions, role: PipelineRole, life: Lifecycle): Promise<Running> {
  if (role.abort) life.onAbort(() => role.abort!());
  checkMemory(o);
  pinMain(o);
  const model = await checkModel(o);
  const host = await startHost(o, role, model);
  life.onAbort(() => host.abort());
  host.setWant(role.baseWant);
  const record = new RunRecord();
  const r: Running = {
    o,
    cfg: feedConfig(o),
    model,
    host,
    record,
    fanout: new Fanout(o.windows, FEATURE_NAMES, []),
    files: [],
    t0: performance.now(),
    sendWire: o.wireLatency ? new Histogram() : undefined,
  };
  const files = fileSinks(o, life);
  r.bars = files.bars;
  r.files = files.sinks;
  const served = startHttp(r, role, life);
  r.fanout = new Fanout(o.windows, FEATURE_NAMES, [
    record,
    ...files.sinks,
    ...served,
    ...role.sinks,
  ]);
  startFeed(r);
  return r;
}

const EVENTS_PER_PASS = 2048;
/** Runs until the feed ends, a signal, or --duration. */
function run(r: Running, signal?: AbortSignal) {
  const status = new StatusLine(r.o.quiet ? 0 : r.o.statusInterval);
  let stamp = 0, more = false;
  const loop = {
    // woken by the Worker as soon as it publishes events; at least every 100 ms for the checks;
    // a pass reads at most EVENTS_PER_PASS events, then socket writes get their turn
    wait: () => more ? nextTurn() : r.host.waitEvents(stamp, 100),
    check: () => {
      if (r.host.failure) return { reason: "error" as StopReason, error: r.host.failure };
      const st = r.feed!.state();
      if (st === FeedState.failed) return { reason: "error" as StopReason, error: r.feed!.error() };
      if (st === FeedState.eof && (r.cfg.finite || r.o.exitOnEof)) {
        return { reason: "eof" as StopReason };
      }
      return undefined;
    },
    pass: () => {
      stamp = r.host.eventStamp(); // before reading: a publish after this wakes the wait
      status.show(() => statusInput(r));
      more = r.host.events.poll(r.fanout.handlers, EVENTS_PER_PASS) === EVENTS_PER_PASS;
      r.fanout.flush();
    },
  };
  return { status, stopped: waitForStop(loop, signal, r.o.duration) };
}

function statusInput(r: Running) {
  const c = r.host.counters, rc = ringCounters(r.host.ring);
  const cv = snapshot(c);
  return {
    feed: r.cfg.kind,
    policy: r.o.policy,
    ticks: cv.ticks,
    fill: rc.used / rc.capacity,
    drops: rc.drops,
    gaps: cv.gaps,
    malformed: cv.malformed,
    position: r.feed?.alive ? feedPosition(r.cfg, r.feed, cv.ticksSeen, r) : undefined,
  };
}

/** Stops the feed, drains the Worker and the scorer, closes the sinks. */
async function stop(
  r: Running,
  role: PipelineRole,
  end: { reason: StopReason; error?: string },
  status: StatusLine,
) {
  const feedStats = r.feed!.stop(); // joins the thread, closes the ring
  const worker = await r.host.drain(() => r.host.events.poll(r.fanout.handlers));
  await r.scorer?.drain(); // the pipeline closed the rows ring: score what is left
  await r.fanout.close(); // every final bar and anomaly written (and, processors, acked)
  await r.http?.close();
  const elapsedS = (performance.now() - r.t0) / 1000;
  status.show(() => statusInput(r), true);
  const model: ModelSummary | null = r.model && r.scorer
    ? {
      file: r.o.model!,
      ...r.scorer.stats(),
      rows_written: worker.rowsWritten,
      rows_dropped: worker.rowsDropped,
    }
    : null;
  const s = buildSummary({
    feed: r.cfg.kind,
    policy: r.o.policy,
    stoppedBy: end.reason,
    elapsedS,
    counters: snapshot(r.host.counters),
    worker,
    feedStats,
    record: r.record,
    latency: r.host.latency.summary(),
    wire: r.o.wireLatency
      ? { to_bar: r.host.wire.summary(), to_send: r.sendWire!.summary() }
      : undefined,
    files: r.files,
    model,
    lastScoredNs: r.scorer?.lastScoredNs,
    cpus: r.o.cpus,
    rtPriority: r.o.rtPriority,
  });
  const failed = r.files.map((f) => f.failure()).filter((x) => x !== undefined);
  if (end.error || failed.length) s.error = [end.error, ...failed].filter((x) => x).join("; ");
  role.finish?.(s);
  return s;
}

/** Runs a pipeline role until the feed ends, a signal, or --duration; returns the summary. */
export async function runPipeline(
  o: RunOptions,
  signal?: AbortSignal,
  role: PipelineRole = STANDALONE,
): Promise<Summary> {
  const life = new Lifecycle();
  const r = await life.start(() => start(o, role, life));
  if (!o.quiet) {
    console.error(`tickwire: ${r.cfg.kind} feed running; Ctrl-C stops and prints the summary`);
  }
  const { status, stopped } = run(r, signal);
  const end = await stopped;
  if (r.host.failure) {
    // the Worker is gone: nothing to drain; stop the threads before the process exits
    r.feed?.stop();
    r.scorer?.terminate();
    await life.abort();
    throw new WorkerFailed(r.host.failure);
  }
  return stop(r, role, end, status);
}
