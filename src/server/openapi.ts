/**
 * The OpenAPI 3.1 description of the REST API, served at
 * `GET /v1/openapi.json`. Its schemas follow the JSON shapes of
 * `messages.ts`; `tests/app_test.ts` checks that every documented path
 * answers and that every route is documented. The WebSocket protocol is
 * documented in the README (ops, message types, error codes).
 *
 * @example
 * ```ts
 * import { OPENAPI } from "./openapi.ts";
 * console.log(Object.keys(OPENAPI.paths).includes("/v1/bars")); // true
 * ```
 * @module
 */

const num = { type: "number" } as const;
const int = { type: "integer" } as const;
const str = { type: "string" } as const;
const time = { type: "string", format: "date-time", description: "ISO-8601 UTC, ns digits" };
const nullable = (t: object) => ({ oneOf: [t, { type: "null" }] });
const obj = (properties: Record<string, object>, required = Object.keys(properties)) => ({
  type: "object",
  properties,
  required,
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const query = (name: string, description: string, required = false) => ({
  name,
  in: "query",
  required,
  description,
  schema: str,
});
const ok = (description: string, schema: object) => ({
  description,
  content: { "application/json": { schema } },
});
const errors = {
  "400": ok("bad parameter", ref("Error")),
  "401": ok("missing or wrong bearer token (--token)", ref("Error")),
};

const Bar = obj({
  symbol: str,
  window: str,
  start: time,
  end: time,
  open: num,
  high: num,
  low: num,
  close: num,
  volume: int,
  buy_volume: { ...int, description: "volume of trades whose aggressor bought (side known)" },
  sell_volume: { ...int, description: "volume of trades whose aggressor sold (side known)" },
  trades: int,
  vwap: num,
  final: { type: "boolean", description: "false while the window is open" },
  revision: { ...int, description: "0, then 1, 2 … for revisions by late ticks" },
  filled: { type: "boolean", description: "an empty window filled at the previous close" },
});

const Level = obj({ price: num, size: int, orders: int });
const Book = obj({
  symbol: str,
  stale: { type: "boolean", description: "true after an unrecovered MoldUDP64 gap" },
  bids: { type: "array", items: Level, description: "best first" },
  asks: { type: "array", items: Level, description: "best first" },
});

const Anomaly = obj({
  symbol: str,
  time,
  sequence: int,
  score: num,
  kind: str,
  price: num,
  size: int,
  features: { type: "object", additionalProperties: num },
}, ["symbol", "time", "sequence", "score", "kind"]);

const LatestTick = obj({
  symbol: str,
  trade: nullable(obj({ time, price: num, size: int, sequence: int })),
  quote: nullable(obj({ time, bid: num, bid_size: int, ask: num, ask_size: int })),
});

/** The document. */
export const OPENAPI = {
  openapi: "3.1.0",
  info: {
    title: "tickwire",
    version: "1",
    description: "Decoded ticks, windowed OHLC bars and anomaly flags of a running tickwire. " +
      "Live data: the WebSocket at /v1/stream (see the README's protocol table).",
  },
  security: [{ bearer: [] }, {}],
  paths: {
    "/v1/health": {
      get: {
        summary: "Liveness and feed state",
        responses: { "200": ok("ok", { type: "object" }) },
      },
    },
    "/v1/stats": {
      get: {
        summary: "Counters of the pipeline, ring, feed and server (snake_case keys)",
        responses: { "200": ok("stats", { type: "object" }), ...errors },
      },
    },
    "/v1/symbols": {
      get: {
        summary: "Symbols seen, with last trade and quote, and the configured windows",
        responses: {
          "200": ok(
            "symbols",
            obj({
              symbols: {
                type: "array",
                items: obj({
                  symbol: str,
                  last: nullable(num),
                  bid: nullable(num),
                  ask: nullable(num),
                }),
              },
              windows: { type: "array", items: str },
            }),
          ),
          ...errors,
        },
      },
    },
    "/v1/bars": {
      get: {
        summary: "Bars of one symbol and window, oldest first",
        description: "With `from`: the first `limit` bars starting at or after `from` (and " +
          "before `to`), and `next`, the `from` of the following page (null on the last). " +
          "Without `from`: the latest `limit` bars, including the one in progress.",
        parameters: [
          query("symbol", "symbol", true),
          query("window", "one of the server's windows (--windows)", true),
          query("from", "ISO-8601 or epoch ms: first bar start, inclusive"),
          query("to", "ISO-8601 or epoch ms: bar starts before this"),
          query("limit", "1..10000, default 500"),
        ],
        responses: {
          "200": ok(
            "a page of bars",
            obj({
              symbol: str,
              window: str,
              bars: { type: "array", items: Bar },
              next: nullable(time),
            }),
          ),
          ...errors,
          "404": ok("unknown symbol", ref("Error")),
        },
      },
    },
    "/v1/ticks/latest": {
      get: {
        summary: "Latest trade and quote of a symbol",
        parameters: [query("symbol", "symbol", true)],
        responses: {
          "200": ok("latest", LatestTick),
          ...errors,
          "404": ok("unknown symbol", ref("Error")),
        },
      },
    },
    "/v1/book/{symbol}": {
      get: {
        summary: "Top levels of a stock's order book (--protocol itch)",
        parameters: [
          { name: "symbol", in: "path", required: true, schema: str },
          query("depth", "levels per side, 1..50 (10)"),
        ],
        responses: {
          "200": ok("book", Book),
          ...errors,
          "404": ok("no such book, or no books (not --protocol itch)", ref("Error")),
          "503": ok("the pipeline has stopped", ref("Error")),
        },
      },
    },
    "/v1/anomalies": {
      get: {
        summary: "Recent anomaly flags (bounded history)",
        parameters: [query("since", "ISO-8601 or epoch ms")],
        responses: {
          "200": ok("anomalies", obj({ anomalies: { type: "array", items: Anomaly } })),
          ...errors,
        },
      },
    },
    "/v1/openapi.json": {
      get: {
        summary: "This document",
        responses: { "200": ok("OpenAPI 3.1", { type: "object" }) },
      },
    },
    "/metrics": {
      get: {
        summary: "Prometheus text exposition (tickwire_* series)",
        responses: { "200": { description: "text/plain; version=0.0.4" }, ...errors },
      },
    },
    "/v1/stream": {
      get: {
        summary: "WebSocket upgrade: live trades, quotes, bars, anomalies, stats",
        responses: {
          "101": { description: "switching protocols" },
          "503": ok("--max-clients reached (Retry-After: 5)", ref("Error")),
        },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "--token" } },
    schemas: { Error: obj({ code: str, message: str }), Bar, Anomaly, LatestTick },
  },
} as const;
