/**
 * The gateway role (`--role gateway --nats URLS`): no feed and no
 * pipeline; it serves the same HTTP/WebSocket API as a standalone tickwire
 * from NATS (see `cluster/gateway_feed.ts`). Subscribers scale by adding
 * gateways.
 *
 * @example
 * ```ts ignore
 * const summary = await runGateway(parseRunArgs(["--role", "gateway", "--nats", "nats://127.0.0.1:4222"]), signal);
 * ```
 * @module
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { RunOptions } from "../cli/args.ts";
import { ClusterError, connectNats, ensureStream, Interrupted } from "../cluster/nats.ts";
import { GatewayFeed, type GatewayStats } from "../cluster/gateway_feed.ts";
import { MarketState } from "../server/state.ts";
import { ServerStartError } from "../server/app.ts";
import { type Http, serveHttp } from "./http.ts";
import { Lifecycle, StartError, waitForStop } from "./lifecycle.ts";

/** Summary printed when a gateway stops. */
export interface GatewaySummary {
  role: "gateway";
  stopped_by: "signal" | "duration" | "error";
  elapsed_s: number;
  stats: GatewayStats;
  error?: string;
}

async function connect(o: RunOptions, signal?: AbortSignal): Promise<NatsConnection> {
  const nc = await connectNats(o.nats!, "tickwire-gateway", o.quiet, o.natsTimeoutMs, signal);
  try {
    await ensureStream(nc, {
      name: o.stream,
      retentionMs: o.retentionMs,
      maxBytes: o.streamMaxBytes,
      replicas: o.replicas,
      timeoutMs: o.natsTimeoutMs,
      createOnly: true, // the processors own the stream's settings
      signal,
    });
  } catch (e) {
    await nc.close();
    throw e;
  }
  return nc;
}

const unavailable = {
  quotes: "quotes are not distributed through the cluster: subscribe at a processor's " +
    "own server (--http) for quotes",
};

async function start(o: RunOptions, life: Lifecycle, t0: number, signal?: AbortSignal) {
  const nc = await connect(o, signal);
  life.onAbort(() => nc.close());
  const js = jetstream(nc, { timeout: 5000 });
  const jsm = await jetstreamManager(nc, { timeout: 5000 });
  const state = new MarketState(o.windows);
  const feed = new GatewayFeed(nc, js, jsm, o.stream, o.maxSymbols, state);
  const uptime = () => Number(((performance.now() - t0) / 1000).toFixed(3));
  const http: Http = serveHttp(o, state, {
    hub: { replay: feed.replaySource(), unavailable },
    stats: () => ({
      role: "gateway",
      uptime_s: uptime(),
      nats: { server: nc.getServer(), closed: nc.isClosed(), stream: o.stream },
      gateway: feed.current(),
      server: http.hub.stats,
    }),
    health: () => ({
      status: nc.isClosed() ? "degraded" : "ok",
      role: "gateway",
      nats_server: nc.getServer(),
      windows: o.windows,
      uptime_s: uptime(),
    }),
  });
  life.onAbort(() => http.close());
  if (!o.quiet) {
    console.error(
      `tickwire: gateway serving ${http.server.url} from NATS stream ${o.stream} (WebSocket /v1/stream)`,
    );
  }
  await feed.start(http.hub);
  return { nc, feed, http };
}

const startError = (e: unknown) => {
  if (e instanceof Interrupted) return e;
  if (e instanceof ClusterError) return new StartError(`--nats: ${e.message}`);
  if (e instanceof ServerStartError) return new StartError(e.message);
  return undefined;
};

/** Runs a gateway until the signal or --duration. */
export async function runGateway(o: RunOptions, signal?: AbortSignal): Promise<GatewaySummary> {
  const t0 = performance.now();
  const life = new Lifecycle();
  const g = await life.start(() => start(o, life, t0, signal), startError);
  const end = await waitForStop(
    {
      wait: () => new Promise((r) => setTimeout(r, 50)),
      check: () =>
        g.nc.isClosed() ? { reason: "error", error: "NATS connection closed" } : undefined,
      pass: () => {},
    },
    signal,
    o.duration,
  );
  await g.http.close();
  await g.feed.close();
  await g.nc.close();
  const summary: GatewaySummary = {
    role: "gateway",
    stopped_by: end.reason === "eof" ? "signal" : end.reason,
    elapsed_s: Number(((performance.now() - t0) / 1000).toFixed(3)),
    stats: g.feed.current(),
  };
  if (end.error) summary.error = end.error;
  return summary;
}
