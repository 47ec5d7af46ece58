/**
 * The HTTP app in-process through hono's `app.request`: REST answers and
 * their errors, the bearer token, metrics, and the dashboard's static files
 * (served by hono's static middleware, nothing outside the static folder).
 */
import assert from "node:assert/strict";
import { buildApp } from "../src/server/app.ts";
import { Hub } from "../src/server/hub.ts";
import { MarketState } from "../src/server/state.ts";
import { createLatest, LATEST } from "../src/pipeline/shared.ts";

function app(token?: string, maxClients?: number, cors?: string) {
  const latest = createLatest(4);
  const state = new MarketState(["1s"], latest);
  state.onSymbol(0, "AAPL");
  latest[LATEST.slot.price] = 1_234_500;
  latest[LATEST.slot.exp] = -4;
  latest[LATEST.slot.sec] = 1_767_312_000;
  latest[LATEST.slot.seq] = 42;
  for (let i = 0; i < 3; i++) {
    state.onBar({
      symbol: "AAPL",
      window: "1s",
      start: new Date(1_767_312_000_000 + i * 1000).toISOString(),
      end: new Date(1_767_312_001_000 + i * 1000).toISOString(),
      open: 1,
      high: 1,
      low: 1,
      close: 1 + i,
      volume: 1,
      buy_volume: 1,
      sell_volume: 0,
      trades: 1,
      vwap: 1,
      final: true,
      revision: 0,
      filled: false,
    });
  }
  const stats = () => ({ pipeline: { ticks: 5 }, latency_ns: { p50: 1, count: 1 } });
  const hub = new Hub(
    {
      slowPolicy: "drop",
      maxSubscriptions: 10,
      maxMessageBytes: 1024,
      highWater: 1 << 20,
      heartbeatMs: 60_000,
      maxClients,
    },
    state,
    stats,
  );
  const a = buildApp({
    hostname: "127.0.0.1",
    port: 0,
    token,
    state,
    hub,
    stats,
    health: () => ({ status: "ok" }),
    cors,
  });
  return { a, hub, [Symbol.dispose]: () => hub.close() };
}

Deno.test("app: REST answers and clear JSON errors", async () => {
  using t = app();
  assert.deepEqual(await (await t.a.request("/v1/health")).json(), { status: "ok" });
  const tick = await (await t.a.request("/v1/ticks/latest?symbol=AAPL")).json();
  assert.deepEqual([tick.trade.price, tick.trade.sequence], [123.45, 42]);
  const bars = await (await t.a.request("/v1/bars?symbol=AAPL&window=1s&limit=2")).json();
  assert.deepEqual(bars.bars.map((b: { close: number }) => b.close), [2, 3]);
  assert.equal(bars.next, null);
  // paging: the first N at or after `from`, then `next` as the following page's `from`
  const closes = (j: { bars: { close: number }[] }) => j.bars.map((b) => b.close);
  const q = "/v1/bars?symbol=AAPL&window=1s&limit=2&from=";
  const p1 = await (await t.a.request(`${q}2026-01-02T00:00:00Z`)).json();
  assert.deepEqual(closes(p1), [1, 2]);
  assert.equal(p1.next, "2026-01-02T00:00:02.000Z");
  const p2 = await (await t.a.request(q + p1.next)).json();
  assert.deepEqual([closes(p2), p2.next], [[3], null]);
  const upTo = await (await t.a.request(`${q}2026-01-02T00:00:00Z&to=2026-01-02T00:00:01Z`)).json();
  assert.deepEqual([closes(upTo), upTo.next], [[1], null]);
  const cases: [string, number, RegExp][] = [
    ["/v1/bars?window=1s", 400, /symbol is required/],
    ["/v1/bars?symbol=AAPL&window=7s", 400, /unknown window '7s'/],
    ["/v1/bars?symbol=ZZZ&window=1s", 404, /unknown symbol/],
    ["/v1/bars?symbol=AAPL&window=1s&from=yesterday", 400, /from: expected an ISO-8601/],
    ["/v1/bars?symbol=AAPL&window=1s&limit=0", 400, /limit must be/],
    ["/v1/nothing", 404, /no such endpoint/],
    ["/v1/stream", 400, /expected a WebSocket upgrade/],
  ];
  for (const [path, status, re] of cases) {
    const r = await t.a.request(path);
    assert.equal(r.status, status, path);
    assert.match((await r.json()).message, re, path);
  }
});

Deno.test("app: the bearer token guards REST and metrics", async () => {
  using t = app("s3cret-token");
  assert.equal((await t.a.request("/v1/health")).status, 401);
  assert.equal((await t.a.request("/metrics")).status, 401);
  const bad = { headers: { authorization: "Bearer s3cret-tokeX" } };
  assert.equal((await t.a.request("/v1/health", bad)).status, 401);
  const ok = { headers: { authorization: "Bearer s3cret-token" } };
  assert.equal((await t.a.request("/v1/health", ok)).status, 200);
  const m = await t.a.request("/metrics", ok);
  assert.match(await m.text(), /tickwire_ticks_total 5/);
});

Deno.test("app: the dashboard's files, and nothing outside their folder", async () => {
  using t = app();
  const index = await t.a.request("/");
  assert.equal(index.status, 200);
  assert.match(index.headers.get("content-type")!, /text\/html/);
  assert.match(await index.text(), /<html/i);
  const js = await t.a.request("/static/app.js");
  assert.match(js.headers.get("content-type")!, /javascript/);
  await js.body?.cancel();
  for (const p of ["/static/nope.js", "/static/..%2f..%2fdeno.json", "/static/%2e%2e/app.ts"]) {
    const r = await t.a.request(p);
    assert.equal(r.status, 404, p);
    await r.body?.cancel();
  }
});

Deno.test("app: past --max-clients a new socket is refused before the upgrade", async () => {
  using t = app(undefined, 2);
  for (let i = 0; i < 2; i++) {
    const ws = { readyState: 0, send() {}, close() {} } as unknown as WebSocket;
    t.hub.accept(ws, true);
  }
  const r = await t.a.request("/v1/stream", { headers: { upgrade: "websocket" } });
  assert.equal(r.status, 503);
  assert.equal((await r.json()).code, "too_many_clients");
});

Deno.test("app: CORS is off by default; --cors ORIGIN allows that web app, preflight included", async () => {
  using off = app();
  const plain = await off.a.request("/v1/health", { headers: { origin: "https://app.example" } });
  assert.equal(plain.headers.get("access-control-allow-origin"), null);
  await plain.body?.cancel();
  using on = app("s3cret-token", undefined, "https://app.example");
  const pre = await on.a.request("/v1/bars", {
    method: "OPTIONS",
    headers: {
      origin: "https://app.example",
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization",
    },
  });
  assert.equal(pre.status, 204, "the preflight needs no token");
  assert.equal(pre.headers.get("access-control-allow-origin"), "https://app.example");
  assert.match(pre.headers.get("access-control-allow-headers") ?? "", /authorization/i);
  const get = await on.a.request("/v1/health", {
    headers: { origin: "https://app.example", authorization: "Bearer s3cret-token" },
  });
  assert.equal(get.status, 200);
  assert.equal(get.headers.get("access-control-allow-origin"), "https://app.example");
  await get.body?.cancel();
});

Deno.test("app: /v1/openapi.json documents every route, and every documented path answers", async () => {
  using t = app();
  const doc = await (await t.a.request("/v1/openapi.json")).json();
  assert.equal(doc.openapi, "3.1.0");
  const documented = Object.keys(doc.paths);
  const routes = new Set(
    t.a.routes.filter((r) => r.method === "GET" && !r.path.includes("*") && r.path !== "/")
      .map((r) => r.path.replace(/:(\w+)/g, "{$1}")).filter((p) => !p.startsWith("/static/")),
  );
  assert.deepEqual([...routes].sort(), [...documented].sort());
  for (const p of documented) {
    const res = await t.a.request(`${p.replace("{symbol}", "AAPL")}?symbol=AAPL&window=1s`);
    if (p.startsWith("/v1/book/")) { // this app has no books (not --protocol itch): said so
      assert.deepEqual([res.status, (await res.json()).code], [404, "no_books"]);
      continue;
    }
    await res.body?.cancel();
    assert.notEqual(res.status, 404, p);
  }
});
