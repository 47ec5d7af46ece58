/**
 * A gateway (`--role gateway`): no feed and no pipeline; it serves the same
 * HTTP/WebSocket API as a standalone tickwire from NATS. Subscribers scale by
 * adding gateways; each one reads:
 *
 * - the JetStream stream (final bars, anomalies) through one ordered
 *   consumer for the live fan-out, starting with the last `backfill`
 *   messages so REST queries and snapshots have history at once;
 * - core NATS `tickwire.trades.>` and `tickwire.partial.>` (trades,
 *   in-progress bars);
 * - one more ordered consumer per WebSocket connection that subscribed with
 *   `resumeFrom`, replaying the stream from that point in stream order.
 *
 * @example
 * ```ts ignore
 * const summary = await runGateway(parseRunArgs(["--role", "gateway", "--nats", "nats://127.0.0.1:4222"]), signal);
 * ```
 * @module
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { StreamReader, StreamWatch } from "./stream_reader.ts";
import type { RunOptions } from "../cli/args.ts";
import { ClusterError, connectNats, ensureStream } from "./nats.ts";
import { ROOT } from "./subjects.ts";
import { MarketState } from "../server/state.ts";
import { Hub, type Replay, type Replayed, type ReplaySource } from "../server/hub.ts";
import { type RunningServer, startServer } from "../server/app.ts";
import { type Decoded, decodeMessage, patchStreamSeq, type TradeJson } from "../server/outbound.ts";
import { LATEST, LATEST_STRIDE } from "../pipeline/consumer.ts";

/** Messages of the stream a starting gateway loads for history (REST, snapshots). */
const BACKFILL = 100_000;

/** Counters of a gateway (summary, /v1/stats). */
export interface GatewayStats {
  durable_received: number;
  partial_received: number;
  trades_received: number;
  decode_errors: number;
  replays_opened: number;
  replays_active: number;
  /** consumers restarted after a stall (a NATS node died under them) */
  consumer_restarts: number;
  consumer_errors: number;
  last_stream_seq: number;
  symbol_overflow: number;
}

/** Summary printed when a gateway stops. */
export interface GatewaySummary {
  role: "gateway";
  stopped_by: "signal" | "duration" | "error";
  elapsed_s: number;
  stats: GatewayStats;
  error?: string;
}

/** Thrown when the gateway cannot start (exit 2). */
export class GatewayStartError extends Error {
  override name = "GatewayStartError";
}

/** Opens a message from the stream: copies it (the client reuses its buffer) and patches its position in. */
function fromStream(data: Uint8Array, seq: number): { bytes: Uint8Array; d: Decoded } {
  const bytes = data.slice();
  patchStreamSeq(bytes, seq);
  return { bytes, d: decodeMessage(bytes) };
}

/** Runs a gateway until the signal or --duration. */
export async function runGateway(o: RunOptions, signal?: AbortSignal): Promise<GatewaySummary> {
  const t0 = performance.now();
  let nc: NatsConnection;
  try {
    nc = await connectNats(o.nats!, "tickwire-gateway", o.quiet, o.natsTimeoutMs);
    await ensureStream(nc, {
      name: o.stream,
      retentionMs: o.retentionMs,
      maxBytes: o.streamMaxBytes,
      replicas: o.replicas,
      timeoutMs: o.natsTimeoutMs,
      createOnly: true, // the processors own the stream's settings
    }).catch(async (e) => {
      await nc.close();
      throw e;
    });
  } catch (e) {
    if (e instanceof ClusterError) throw new GatewayStartError(`--nats: ${e.message}`);
    throw e;
  }
  const js = jetstream(nc, { timeout: 5000 });
  const jsm = await jetstreamManager(nc, { timeout: 5000 });
  const stats: GatewayStats = {
    durable_received: 0,
    partial_received: 0,
    trades_received: 0,
    decode_errors: 0,
    replays_opened: 0,
    replays_active: 0,
    consumer_restarts: 0,
    consumer_errors: 0,
    last_stream_seq: 0,
    symbol_overflow: 0,
  };

  // Symbols get ids on first sight, for the latest-trade table.
  const latest = new Float64Array(o.maxSymbols * LATEST_STRIDE);
  const state = new MarketState(o.windows, latest);
  const ids = new Map<string, number>();
  const symbolId = (s: string): number => {
    let id = ids.get(s);
    if (id === undefined) {
      if (ids.size >= o.maxSymbols) {
        stats.symbol_overflow++;
        return -1;
      }
      ids.set(s, id = ids.size);
      state.onSymbol(id, s);
    }
    return id;
  };

  const watch = new StreamWatch(jsm, o.stream);
  const readers = new Set<StreamReader>();
  let live: StreamReader | undefined = undefined; // the live fan-out, once the server is up
  const countError = () => stats.consumer_errors++;

  const replaySource: ReplaySource = {
    open(from, deliver, onGap, onError): Replay {
      let closed = false, reader: StreamReader | undefined;
      stats.replays_opened++;
      stats.replays_active++;
      (async () => {
        if ("seq" in from && from.seq > 0) {
          // the retention check needs the stream's first sequence; a node
          // may be failing over right now, so ask for a while before giving up
          let first = -1, why = "";
          for (let i = 0; i < 20 && first < 0 && !closed; i++) {
            try {
              first = (await jsm.streams.info(o.stream)).state.first_seq;
            } catch (e) {
              why = (e as Error).message;
              await new Promise((r) => setTimeout(r, 500));
            }
          }
          if (closed) return;
          if (first < 0) return onError(`stream ${o.stream} did not answer: ${why}`);
          if (from.seq < first) onGap(from.seq, first);
        }
        if (closed) return;
        const start = "seq" in from ? { seq: Math.max(1, from.seq) } : from;
        reader = new StreamReader(js, o.stream, start, watch, async (m: JsMsg) => {
          let r: { bytes: Uint8Array; d: Decoded };
          try {
            r = fromStream(m.data, m.seq);
          } catch {
            stats.decode_errors++;
            return;
          }
          const d = r.d;
          if (d.type === "trade" || d.type === "trades") return; // not kept in the stream
          symbolId(d.type === "bar" ? d.bar.symbol : d.anomaly.symbol);
          const rep: Replayed = {
            kind: d.type,
            json: d.type === "bar" ? d.bar : d.anomaly,
            streamSeq: m.seq,
            bytes: r.bytes,
            pending: m.info.pending,
          };
          await deliver(rep);
        }, countError);
        readers.add(reader);
      })().catch(countError);
      return {
        close() {
          if (closed) return;
          closed = true;
          stats.replays_active--;
          if (reader) {
            stats.consumer_restarts += reader.restarts;
            readers.delete(reader);
            reader.close();
          }
        },
      };
    },
  };

  const hub = new Hub(
    {
      token: o.token,
      slowPolicy: o.slowPolicy,
      maxSubscriptions: o.maxSubscriptions,
      maxMessageBytes: 64 * 1024,
      highWater: 1 << 20,
      heartbeatMs: 1000,
      replay: replaySource,
      unavailable: {
        quotes: "quotes are not distributed through the cluster: subscribe at a processor's " +
          "own server (--http) for quotes",
      },
    },
    state,
    new Int32Array(1),
    () => statsNow(),
  );
  const statsNow = (): Record<string, unknown> => ({
    role: "gateway",
    uptime_s: Number(((performance.now() - t0) / 1000).toFixed(3)),
    nats: { server: nc.getServer(), closed: nc.isClosed(), stream: o.stream },
    gateway: {
      ...stats,
      consumer_restarts: stats.consumer_restarts + (live?.restarts ?? 0) +
        [...readers].reduce((n, r) => n + r.restarts, 0),
    },
    server: hub.stats,
  });
  let server: RunningServer;
  try {
    server = startServer({
      hostname: o.httpHost,
      port: o.httpPort,
      token: o.token,
      state,
      hub,
      stats: statsNow,
      health: () => ({
        status: nc.isClosed() ? "degraded" : "ok",
        role: "gateway",
        nats_server: nc.getServer(),
        windows: o.windows,
        uptime_s: Number(((performance.now() - t0) / 1000).toFixed(3)),
      }),
    });
  } catch (e) {
    hub.close();
    await nc.close();
    throw new GatewayStartError(
      `--http: cannot listen on ${o.httpHost}:${o.httpPort}: ${(e as Error).message}`,
    );
  }
  if (!o.quiet) {
    console.error(
      `tickwire: gateway serving ${server.url} from NATS stream ${o.stream} (WebSocket /v1/stream)`,
    );
  }

  // Live fan-out of the stream; the first messages (up to where the stream
  // stood at start) only fill history.
  const info = await jsm.streams.info(o.stream);
  const backfillEnd = info.state.last_seq;
  const startSeq = Math.max(info.state.first_seq, backfillEnd - BACKFILL + 1, 1);
  live = new StreamReader(js, o.stream, { seq: startSeq }, watch, (m: JsMsg) => {
    let r;
    try {
      r = fromStream(m.data, m.seq);
    } catch {
      stats.decode_errors++;
      return;
    }
    stats.last_stream_seq = m.seq;
    stats.durable_received++;
    const fan = m.seq > backfillEnd;
    if (r.d.type === "bar") {
      symbolId(r.d.bar.symbol);
      if (!state.windows.includes(r.d.bar.window)) state.windows.push(r.d.bar.window);
      state.onBarJson(r.d.bar);
      if (fan) hub.bar(r.d.bar, m.seq, r.bytes);
    } else if (r.d.type === "anomaly") {
      symbolId(r.d.anomaly.symbol);
      state.onAnomaly(r.d.anomaly);
      if (fan) hub.anomaly(r.d.anomaly, m.seq);
    }
  }, countError);

  // Trades and in-progress bars: core NATS.
  const onTrade = (t: TradeJson, sec: number, nsec: number) => {
    stats.trades_received++;
    const id = symbolId(t.symbol);
    if (id >= 0) {
      const L = id * LATEST_STRIDE;
      latest[L + LATEST.price] = t.price;
      latest[L + LATEST.size] = t.size;
      latest[L + LATEST.sec] = sec;
      latest[L + LATEST.nsec] = nsec;
      latest[L + LATEST.seq] = t.sequence;
      latest[L + LATEST.exp] = 0;
    }
    hub.trade(t);
  };
  /** Subscribes; `handle` returns false for a message of a kind it does not take (counted). */
  const onCore = (subject: string, handle: (d: Decoded) => boolean): Subscription =>
    nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) return;
        try {
          if (handle(decodeMessage(m.data))) return;
        } catch { /* malformed: counted below */ }
        stats.decode_errors++;
      },
    });
  const subs: Subscription[] = [
    onCore(`${ROOT}.trades.>`, (d) => {
      if (d.type === "trade") onTrade(d.trade, d.sec, d.nsec);
      else if (d.type === "trades") { for (const t of d.trades) onTrade(t.trade, t.sec, t.nsec); }
      else return false;
      return true;
    }),
    onCore(`${ROOT}.partial.>`, (d) => {
      if (d.type !== "bar") return false;
      stats.partial_received++;
      symbolId(d.bar.symbol);
      hub.bar(state.onBarJson(d.bar));
      return true;
    }),
  ];

  let stoppedBy: GatewaySummary["stopped_by"] = "signal";
  let error: string | undefined;
  while (!signal?.aborted) {
    if (o.duration > 0 && performance.now() - t0 >= o.duration * 1000) {
      stoppedBy = "duration";
      break;
    }
    if (nc.isClosed()) {
      stoppedBy = "error";
      error = "NATS connection closed";
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.close();
  live?.close();
  for (const r of readers) r.close();
  await Promise.race([ // let readers finish their message, but never hang a shutdown on NATS
    Promise.all([live?.done, ...[...readers].map((r) => r.done)]),
    new Promise((r) => setTimeout(r, 2000)),
  ]);
  watch.close();
  for (const s of subs) s.unsubscribe();
  await nc.close();
  const summary: GatewaySummary = {
    role: "gateway",
    stopped_by: stoppedBy,
    elapsed_s: Number(((performance.now() - t0) / 1000).toFixed(3)),
    stats: { ...stats, consumer_restarts: stats.consumer_restarts + (live?.restarts ?? 0) },
  };
  if (error) summary.error = error;
  return summary;
}
