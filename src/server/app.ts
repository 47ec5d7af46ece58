/**
 * The HTTP and WebSocket server (hono on Deno.serve), on the main thread:
 * REST endpoints, Prometheus metrics, the WebSocket stream and the
 * dashboard's static files. Everything it serves comes from MarketState,
 * the Hub and a stats function; it never touches the per-tick path.
 *
 * @example
 * ```ts ignore
 * const srv = startServer({ hostname: "127.0.0.1", port: 8080, ... });
 * console.log(srv.url);
 * await srv.close();
 * ```
 * @module
 */
import { Hono } from "hono";
import type { MarketState } from "./state.ts";
import type { Hub } from "./hub.ts";
import { prometheus } from "./metrics.ts";

/** Server settings. */
export interface ServerOptions {
  hostname: string;
  port: number;
  token?: string;
  state: MarketState;
  hub: Hub;
  stats: () => Record<string, unknown>;
  health: () => Record<string, unknown>;
}

/** A running server. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const STATIC = new URL("./static/", import.meta.url).pathname;
const CHARTS = new URL(
  "../../node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js",
  import.meta.url,
)
  .pathname;
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

function bad(message: string, code = "bad_parameter", status: 400 | 401 | 404 = 400) {
  return new Response(JSON.stringify({ code, message }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function time(v: string | undefined, name: string, def: number): number | Response {
  if (v === undefined || v === "") return def;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) {
    return bad(`${name}: expected an ISO-8601 time or epoch milliseconds, got '${v}'`);
  }
  return n;
}

/** Builds the hono app. */
export function buildApp(o: ServerOptions): Hono {
  const app = new Hono();
  const authed = (req: Request) =>
    !o.token || req.headers.get("authorization") === `Bearer ${o.token}`;

  const guard = async (c: { req: { path: string; raw: Request } }, next: () => Promise<void>) => {
    // the stream may authenticate in-band with a first "auth" message
    if (c.req.path !== "/v1/stream" && !authed(c.req.raw)) {
      return bad("missing or wrong bearer token", "unauthorized", 401);
    }
    await next();
    return undefined;
  };
  app.use("/v1/*", guard);
  app.use("/metrics", guard);

  app.get("/v1/health", (c) => c.json(o.health()));
  app.get("/v1/stats", (c) => c.json(o.stats()));
  app.get(
    "/metrics",
    (c) => c.text(prometheus(o.stats()), 200, { "content-type": "text/plain; version=0.0.4" }),
  );
  app.get("/v1/symbols", (c) =>
    c.json({
      symbols: o.state.names.filter((n) => n !== undefined).map((s) => {
        const t = o.state.latestTick(s);
        return {
          symbol: s,
          last: t?.trade?.price ?? null,
          bid: t?.quote?.bid ?? null,
          ask: t?.quote?.ask ?? null,
        };
      }),
      windows: o.state.windows,
    }));
  app.get("/v1/bars", (c) => {
    const q = c.req.query();
    if (!q.symbol) return bad("symbol is required");
    if (!q.window) return bad(`window is required (one of ${o.state.windows.join(", ")})`);
    if (!o.state.windows.includes(q.window)) {
      return bad(`unknown window '${q.window}' (one of ${o.state.windows.join(", ")})`);
    }
    if (o.state.symbolId(q.symbol) < 0) {
      return bad(`unknown symbol '${q.symbol}'`, "unknown_symbol", 404);
    }
    const from = time(q.from, "from", -Infinity), to = time(q.to, "to", Infinity);
    if (from instanceof Response) return from;
    if (to instanceof Response) return to;
    const limit = q.limit === undefined ? 500 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      return bad("limit must be 1..10000");
    }
    return c.json({
      symbol: q.symbol,
      window: q.window,
      bars: o.state.bars(q.symbol, q.window, from, to, limit),
    });
  });
  app.get("/v1/ticks/latest", (c) => {
    const s = c.req.query("symbol");
    if (!s) return bad("symbol is required");
    const t = o.state.latestTick(s);
    if (!t) return bad(`unknown symbol '${s}'`, "unknown_symbol", 404);
    return c.json(t);
  });
  app.get("/v1/anomalies", (c) => {
    const since = time(c.req.query("since"), "since", -Infinity);
    if (since instanceof Response) return since;
    return c.json({ anomalies: o.state.anomalies.filter((a) => Date.parse(a.time) >= since) });
  });
  app.get("/v1/stream", (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return bad("expected a WebSocket upgrade", "bad_request");
    }
    const ok = authed(c.req.raw); // read the headers before the upgrade consumes the request
    const { socket, response } = Deno.upgradeWebSocket(c.req.raw);
    o.hub.accept(socket, ok);
    return response;
  });
  app.get("/static/lightweight-charts.js", async () => {
    try {
      return new Response(await Deno.readFile(CHARTS), { headers: { "content-type": TYPES.js } });
    } catch {
      return bad("lightweight-charts is not installed: run 'deno install'", "not_installed", 404);
    }
  });
  app.get("/static/:file", async (c) => {
    const f = c.req.param("file");
    if (!/^[a-z_]+\.(html|js|css)$/.test(f)) return bad("no such file", "not_found", 404);
    try {
      return new Response(await Deno.readFile(STATIC + f), {
        headers: { "content-type": TYPES[f.split(".")[1]] },
      });
    } catch {
      return bad("no such file", "not_found", 404);
    }
  });
  app.get(
    "/",
    async () =>
      new Response(await Deno.readFile(`${STATIC}index.html`), {
        headers: { "content-type": TYPES.html },
      }),
  );
  app.notFound(() => bad("no such endpoint", "not_found", 404));
  return app;
}

/** Starts serving; throws with a clear message when the address is taken. */
export function startServer(o: ServerOptions): RunningServer {
  const app = buildApp(o);
  const server = Deno.serve({ hostname: o.hostname, port: o.port, onListen: () => {} }, app.fetch);
  const addr = server.addr as Deno.NetAddr;
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
