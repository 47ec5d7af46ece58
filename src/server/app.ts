/**
 * The HTTP and WebSocket server (hono on Deno.serve), on the main thread:
 * REST endpoints, Prometheus metrics, the WebSocket stream and the
 * dashboard's static files. Everything it serves comes from MarketState,
 * the Hub and the role's stats and health functions; it never touches the
 * per-tick path. Both roles (a pipeline, a cluster gateway) use this one
 * shell through `startServer`.
 *
 * @example Testing without a socket
 * ```ts ignore
 * const app = buildApp({ hostname: "127.0.0.1", port: 0, state, hub, stats, health });
 * const res = await app.request("/v1/health");
 * ```
 * @module
 */
import { Hono } from "hono";
import { serveStatic } from "hono/deno";
import { cors } from "hono/cors";
import type { MarketState } from "./state.ts";
import type { Hub } from "./hub.ts";
import { prometheus } from "./metrics.ts";
import type { Histogram } from "../pipeline/latency.ts";
import { bearerOk } from "./auth.ts";
import { parseTimeMs } from "../time.ts";
import { served } from "./messages.ts";
import { OPENAPI } from "./openapi.ts";
import { BOOK_DEPTH, type BookSource } from "./book_feed.ts";
import { MAX_BOOK_DEPTH } from "../feeds/itch/book_share.ts";

/** Server settings. */
export interface ServerOptions {
  hostname: string;
  port: number;
  token?: string;
  state: MarketState;
  hub: Hub;
  stats: () => Record<string, unknown>;
  health: () => Record<string, unknown>;
  /** receive-to-bar latency for /metrics (processor roles) */
  latency?: Histogram;
  /** origin allowed to call the API from a browser (CORS); undefined = none */
  cors?: string;
  /** order books (--protocol itch): GET /v1/book/:symbol */
  book?: BookSource;
}

/** A running server. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** The address could not be bound. */
export class ServerStartError extends Error {
  override name = "ServerStartError";
}

const STATIC = new URL("./static/", import.meta.url).pathname;
const CHARTS = new URL(
  "../../node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js",
  import.meta.url,
).pathname;

function bad(message: string, code = "bad_parameter", status: 400 | 401 | 404 = 400) {
  return new Response(JSON.stringify({ code, message }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function time(v: string | undefined, name: string, def: number): number | Response {
  if (v === undefined || v === "") return def;
  const n = parseTimeMs(v);
  if (!Number.isFinite(n)) {
    return bad(`${name}: expected an ISO-8601 time or epoch milliseconds, got '${v}'`);
  }
  return n;
}

/** GET /v1/bars: checks the query, then answers from the state. */
function barsRoute(state: MarketState, q: Record<string, string>): Response | object {
  if (!q.symbol) return bad("symbol is required");
  const windows = state.windows.join(", ");
  if (!q.window) return bad(`window is required (one of ${windows})`);
  if (!state.windows.includes(q.window)) {
    return bad(`unknown window '${q.window}' (one of ${windows})`);
  }
  if (state.symbolId(q.symbol) < 0) {
    return bad(`unknown symbol '${q.symbol}'`, "unknown_symbol", 404);
  }
  const from = time(q.from, "from", -Infinity), to = time(q.to, "to", Infinity);
  if (from instanceof Response) return from;
  if (to instanceof Response) return to;
  const limit = q.limit === undefined ? 500 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return bad("limit must be 1..10000");
  const page = state.barPage(q.symbol, q.window, from, to, limit);
  return { symbol: q.symbol, window: q.window, bars: page.bars, next: page.next };
}

/** GET /v1/book/:symbol?depth=N: the stock's top levels from the pipeline. */
async function bookRoute(o: ServerOptions, symbol: string, q: string | undefined) {
  if (o.book === undefined) {
    return bad("order books need --protocol itch", "no_books", 404);
  }
  if (!/^[\x21-\x7e]{1,8}$/.test(symbol)) return bad(`bad symbol '${symbol}'`);
  const depth = q === undefined ? BOOK_DEPTH : Number(q);
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_BOOK_DEPTH) {
    return bad(`depth must be 1..${MAX_BOOK_DEPTH}`);
  }
  const b = await o.book(symbol, depth);
  if (b === undefined) return bad(`no book for '${symbol}'`, "unknown_symbol", 404);
  if (b === null) {
    return new Response(
      JSON.stringify({ code: "unavailable", message: "the pipeline has stopped" }),
      {
        status: 503,
        headers: { "content-type": "application/json" },
      },
    );
  }
  return Response.json(b);
}

function restRoutes(app: Hono, o: ServerOptions): void {
  const st = o.state;
  app.get("/v1/health", (c) => c.json(o.health()));
  app.get("/v1/openapi.json", (c) => c.json(OPENAPI));
  app.get("/v1/stats", (c) => c.json(o.stats()));
  app.get(
    "/metrics",
    (c) =>
      c.text(
        prometheus(o.stats(), { latency: o.latency, subscribers: o.hub.subscribers() }),
        200,
        { "content-type": "text/plain; version=0.0.4" },
      ),
  );
  app.get("/v1/symbols", (c) => {
    const symbols = st.names.filter((n) => n !== undefined).map((s) => {
      const t = st.latestTick(s);
      return {
        symbol: s,
        last: t?.trade?.price ?? null,
        bid: t?.quote?.bid ?? null,
        ask: t?.quote?.ask ?? null,
      };
    });
    return c.json({ symbols, windows: st.windows });
  });
  app.get("/v1/bars", (c) => {
    const r = barsRoute(st, c.req.query());
    return r instanceof Response ? r : c.json(r);
  });
  app.get("/v1/ticks/latest", (c) => {
    const s = c.req.query("symbol");
    if (!s) return bad("symbol is required");
    const t = st.latestTick(s);
    return t ? c.json(t) : bad(`unknown symbol '${s}'`, "unknown_symbol", 404);
  });
  app.get("/v1/book/:symbol", (c) => bookRoute(o, c.req.param("symbol"), c.req.query("depth")));
  app.get("/v1/anomalies", (c) => {
    const since = time(c.req.query("since"), "since", -Infinity);
    if (since instanceof Response) return since;
    const anomalies = st.anomalies.filter((a) => Date.parse(a.time) >= since).map(served);
    return c.json({ anomalies });
  });
}

function streamRoute(app: Hono, o: ServerOptions): void {
  app.get("/v1/stream", (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return bad("expected a WebSocket upgrade", "bad_request");
    }
    if (o.hub.full()) {
      return new Response(
        JSON.stringify({ code: "too_many_clients", message: "the server takes no more sockets" }),
        { status: 503, headers: { "content-type": "application/json", "retry-after": "5" } },
      );
    }
    // read the headers before the upgrade consumes the request
    const ok = bearerOk(c.req.header("authorization") ?? null, o.token);
    const { socket, response } = Deno.upgradeWebSocket(c.req.raw);
    o.hub.accept(socket, ok);
    return response;
  });
}

function staticRoutes(app: Hono): void {
  app.get("/static/lightweight-charts.js", serveStatic({ root: "/", path: CHARTS }));
  app.get(
    "/static/lightweight-charts.js",
    () => bad("lightweight-charts is not installed: run 'deno install'", "not_installed", 404),
  );
  app.get(
    "/static/*",
    serveStatic({ root: STATIC, rewriteRequestPath: (p) => p.replace(/^\/static/, "") }),
  );
  app.get("/", serveStatic({ root: STATIC, path: "index.html" }));
}

/** Builds the hono app. */
export function buildApp(o: ServerOptions): Hono {
  const app = new Hono();
  const guard = async (
    c: { req: { path: string; header(n: string): string | undefined } },
    next: () => Promise<void>,
  ) => {
    // the stream may authenticate in-band with a first "auth" message
    if (c.req.path !== "/v1/stream" && !bearerOk(c.req.header("authorization") ?? null, o.token)) {
      return bad("missing or wrong bearer token", "unauthorized", 401);
    }
    await next();
    return undefined;
  };
  if (o.cors !== undefined) {
    // before the token guard: a browser's preflight carries no token
    const allow = cors({ origin: o.cors, allowHeaders: ["Authorization", "Content-Type"] });
    app.use("/v1/*", allow);
    app.use("/metrics", allow);
  }
  app.use("/v1/*", guard);
  app.use("/metrics", guard);
  restRoutes(app, o);
  streamRoute(app, o);
  staticRoutes(app);
  app.notFound(() => bad("no such endpoint", "not_found", 404));
  return app;
}

/** Starts serving; throws ServerStartError with a clear message when the address is taken. */
export function startServer(o: ServerOptions): RunningServer {
  const app = buildApp(o);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: o.hostname, port: o.port, onListen: () => {} }, app.fetch);
  } catch (e) {
    o.hub.close();
    throw new ServerStartError(
      `--http: cannot listen on ${o.hostname}:${o.port}: ${(e as Error).message}`,
    );
  }
  const addr = server.addr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    url: `http://${host}:${addr.port}`,
    async close() {
      o.hub.close();
      try {
        await server.shutdown();
      } catch { /* connections already gone */ }
    },
  };
}
