/**
 * The subscription hub in-process, against a fake socket: requests and
 * their errors, fan-out by channel and symbol, per-connection sequence
 * numbers, subscriber demand, token checks, and the slow-consumer policy
 * driven deterministically (the fake socket says how much is buffered).
 */
import assert from "node:assert/strict";
import { ErrorCode, Hub, type HubOptions } from "../src/server/hub.ts";
import { MarketState } from "../src/server/state.ts";
import { createLatest, TickWant } from "../src/pipeline/shared.ts";
import type { TickEvent } from "../src/pipeline/events.ts";
import { MarketSink } from "../src/sinks/market.ts";
import { Histogram } from "../src/pipeline/latency.ts";
import type { BarJson } from "../src/server/messages.ts";
import { timingSafeEqual } from "../src/server/auth.ts";

/** What the hub uses of a WebSocket, recording what is sent. */
class FakeSocket {
  readyState: number = WebSocket.CONNECTING;
  bufferedAmount = 0;
  binaryType = "blob";
  sent: (string | Uint8Array)[] = [];
  closed?: { code?: number; reason?: string };
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  send(d: string | Uint8Array) {
    this.sent.push(d);
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
    this.readyState = WebSocket.CLOSED;
    this.onclose?.();
  }
  open() {
    this.readyState = WebSocket.OPEN;
    this.onopen?.();
  }
  request(r: unknown) {
    this.onmessage?.({ data: typeof r === "string" ? r : JSON.stringify(r) });
  }
  /** Text messages received, parsed; and forgets them. */
  take(): Record<string, unknown>[] {
    const m = this.sent.filter((x) => typeof x === "string").map((x) => JSON.parse(x as string));
    this.sent = [];
    return m;
  }
}

const BAR: BarJson = {
  symbol: "AAPL",
  window: "1s",
  start: "2026-01-02T00:00:00Z",
  end: "2026-01-02T00:00:01Z",
  open: 1,
  high: 2,
  low: 0.5,
  close: 1.5,
  volume: 10,
  buy_volume: 6,
  sell_volume: 4,
  trades: 3,
  vwap: 1.2,
  final: false,
  revision: 0,
  filled: false,
};

function setup(o: Partial<HubOptions> = {}) {
  const state = new MarketState(["1s", "1m"], createLatest(16));
  state.onSymbol(0, "AAPL");
  state.onSymbol(1, "MSFT");
  const demand: unknown[] = [];
  const hub = new Hub(
    {
      slowPolicy: "drop",
      maxSubscriptions: 10,
      maxMessageBytes: 1024,
      highWater: 1000,
      heartbeatMs: 60_000,
      onDemand: (d) => demand.push(d),
      ...o,
    },
    state,
    () => ({ ticks: 1 }),
  );
  const connect = (authed = true) => {
    const ws = new FakeSocket();
    hub.accept(ws as unknown as WebSocket, authed);
    ws.open();
    return ws;
  };
  return { hub, state, demand, connect, [Symbol.dispose]: () => hub.close() };
}

const trade = (symbol: string, sequence: number) => ({
  symbol,
  time: "2026-01-02T00:00:00Z",
  price: 1,
  size: 1,
  side: "buy" as const,
  sequence,
});

/** A trade event from the pipeline (symbol id, sequence, receive stamp). */
const tradeEvent = (symbol: number, seq: number, rx = 0): TickEvent => ({
  kind: "trade",
  symbol,
  sec: 1767312000,
  nsec: 0,
  seq,
  price: 101,
  size: 5,
  price2: 0,
  size2: 0,
  exp: 0,
  side: 1,
  rx,
});

Deno.test("hub: subscribe is acked with a snapshot; events reach only matching subscribers", () => {
  using h = setup();
  const a = h.connect(), b = h.connect();
  h.state.onBar(BAR);
  a.request({ op: "subscribe", id: 7, channels: ["trades", "bars:1s"], symbols: ["AAPL"] });
  b.request({ op: "subscribe", id: 8, channels: ["trades"], symbols: ["MSFT"] });
  const [ack, snap] = a.take();
  assert.deepEqual([ack.type, ack.id, ack.seq], ["ack", 7, 1]);
  assert.deepEqual(ack.subscriptions, { "bars:1s": ["AAPL"], trades: ["AAPL"] });
  assert.equal(snap.type, "snapshot");
  assert.equal((snap.bars as BarJson[])[0].close, 1.5);
  b.take();
  h.hub.trade(trade("AAPL", 1));
  h.hub.trade(trade("MSFT", 2));
  h.hub.bar({ ...BAR, close: 1.6 });
  const got = a.take();
  assert.deepEqual(got.map((m) => [m.type, m.seq]), [["trade", 3], ["bar", 4]]);
  assert.equal(got[0].sequence, 1);
  assert.deepEqual(b.take().map((m) => m.sequence), [2]);
});

Deno.test("hub: demand for per-tick events follows the subscriptions", () => {
  using h = setup();
  const a = h.connect();
  a.request({ op: "subscribe", id: 1, channels: ["bars:1s"] });
  assert.deepEqual(h.demand, [], "bars need no per-tick events");
  a.request({ op: "subscribe", id: 2, channels: ["trades"] });
  a.request({ op: "subscribe", id: 3, channels: ["quotes"], symbols: ["MSFT"] });
  a.request({ op: "unsubscribe", id: 4, channels: ["trades"] });
  a.close();
  assert.deepEqual(h.demand, [
    { trades: true, quotes: false },
    { trades: true, quotes: true },
    { trades: false, quotes: true },
    { trades: false, quotes: false },
  ]);
});

Deno.test("hub: per-symbol interest follows the subscriptions, named and '*'", () => {
  const told: string[] = [];
  using h = setup({ onInterest: (s) => told.push(s) });
  const a = h.connect(), b = h.connect();
  const bits = () => ["AAPL", "MSFT"].map((s) => h.hub.demand.interest(s));
  assert.deepEqual(bits(), [0, 0]);
  a.request({ op: "subscribe", id: 1, channels: ["trades"], symbols: ["AAPL"] });
  assert.deepEqual(bits(), [TickWant.trades, 0]);
  b.request({ op: "subscribe", id: 2, channels: ["quotes"] });
  assert.deepEqual(bits(), [TickWant.trades | TickWant.quotes, TickWant.quotes]);
  a.request({ op: "subscribe", id: 3, channels: ["bars:1s"], symbols: ["MSFT"] });
  b.close();
  assert.deepEqual(bits(), [TickWant.trades, 0]);
  assert.deepEqual(told, ["AAPL", "*", "*"], "bars subscriptions are not per-tick interest");
});

Deno.test("hub: once the server stays behind longer than the lag budget, trades are skipped, counted and told", () => {
  using h = setup();
  const a = h.connect(), b = h.connect();
  a.request({ op: "subscribe", id: 1, channels: ["trades"], symbols: ["AAPL"] });
  b.request({ op: "subscribe", id: 2, channels: ["trades"], symbols: ["MSFT"] });
  a.take();
  b.take();
  let now = 10e9;
  const sink = new MarketSink(h.state, h.hub, undefined, { maxNs: 50e6, now: () => now });
  const ev = tradeEvent;
  const ms = 1e6;
  sink.tick(ev(0, 1, now - 10 * ms), "AAPL"); // 10 ms behind: sent
  sink.tick(ev(0, 2, now - 80 * ms), "AAPL"); // 80 ms: a stall, just begun: sent
  now += 30 * ms;
  sink.tick(ev(0, 3, now - 20 * ms), "AAPL"); // caught up (under 25 ms): sent, the stall is over
  sink.tick(ev(0, 4, now - 60 * ms), "AAPL"); // behind again: sent
  now += 40 * ms;
  sink.tick(ev(0, 5, now - 40 * ms), "AAPL"); // still over 25 ms, behind 40 ms so far: sent
  now += 20 * ms;
  sink.tick(ev(0, 6, now - 70 * ms), "AAPL"); // behind for 60 ms > 50: skipped
  sink.tick(ev(1, 7, now - 70 * ms), "MSFT"); // skipped (b's)
  sink.tick(ev(0, 8, 0), "AAPL"); // no receive time: sent, after the notice
  now += 1 * ms;
  sink.tick(ev(0, 9, now - 1 * ms), "AAPL"); // caught up: sent
  const got = a.take();
  assert.deepEqual(got.map((m) => m.sequence ?? m.code), [
    1,
    2,
    3,
    4,
    5,
    ErrorCode.serverBehind,
    8,
    9,
  ]);
  assert.match(String(got[5].message), /1 trade\/quote messages dropped/);
  assert.deepEqual(b.take(), [], "b is told with its next trade");
  assert.equal(h.hub.stats.lag_dropped, 2);
});

Deno.test("hub: bad requests get errors with the request id and a code", () => {
  using h = setup();
  const a = h.connect();
  const cases: [unknown, number][] = [
    ["{not json", ErrorCode.badJson],
    [[1, 2], ErrorCode.badRequest],
    [{ op: "dance", id: 1 }, ErrorCode.unknownOp],
    [{ op: "subscribe", id: 2, channels: ["bars:7s"] }, ErrorCode.badWindow],
    [{ op: "subscribe", id: 3, channels: ["news"] }, ErrorCode.unknownChannel],
    [
      { op: "subscribe", id: 4, channels: ["trades"], symbols: ["<b>TOO LONG"] },
      ErrorCode.badSymbol,
    ],
    [{ op: "subscribe", id: 5, channels: ["trades"], resumeFrom: 3 }, ErrorCode.resumeUnavailable],
    ["x".repeat(2000), ErrorCode.messageTooLarge],
  ];
  for (const [req, code] of cases) {
    a.request(req);
    const [m] = a.take();
    assert.equal(m.type, "error", JSON.stringify(req).slice(0, 40));
    assert.equal(m.code, code, JSON.stringify(req).slice(0, 40));
  }
  const many = Array.from({ length: 11 }, (_, i) => `S${i}`);
  a.request({ op: "subscribe", id: 9, channels: ["trades"], symbols: many });
  const [m] = a.take();
  assert.deepEqual([m.code, m.id], [ErrorCode.tooManySubscriptions, 9]);
});

Deno.test("hub: a token guards the socket; wrong tokens are refused", () => {
  using h = setup({ token: "s3cret-token" });
  const a = h.connect(false);
  a.request({ op: "subscribe", id: 1, channels: ["trades"] });
  a.request({ op: "auth", id: 2, token: "s3cret-tokeX" });
  a.request({ op: "auth", id: 3, token: "s3cret-token" });
  a.request({ op: "ping", id: 4 });
  const m = a.take();
  assert.deepEqual(m.map((x) => [x.type, x.code ?? x.op]), [
    ["error", ErrorCode.notAuthenticated],
    ["error", ErrorCode.notAuthenticated],
    ["ack", "auth"],
    ["ack", "ping"],
  ]);
  assert.ok(timingSafeEqual("abc", "abc") && !timingSafeEqual("abc", "abd"));
  assert.ok(!timingSafeEqual("abc", "abcd") && !timingSafeEqual("", "a"));
});

Deno.test("hub: a slow client gets bars conflated and trades dropped, then a notice", async () => {
  using h = setup();
  const slow = h.connect(), fast = h.connect();
  for (const c of [slow, fast]) {
    c.request({ op: "subscribe", id: 1, channels: ["trades", "bars:1s"] });
    c.take();
  }
  slow.bufferedAmount = 5000; // over the 1000-byte mark
  for (let i = 0; i < 5; i++) h.hub.trade(trade("AAPL", i));
  for (let i = 0; i < 5; i++) h.hub.bar({ ...BAR, close: 10 + i });
  assert.equal(slow.take().length, 0, "nothing sent while congested");
  assert.equal(fast.take().length, 10, "the fast client got everything");
  assert.equal(h.hub.stats.slow_dropped, 5);
  assert.equal(h.hub.stats.slow_conflated, 4);
  slow.bufferedAmount = 0;
  await new Promise((r) => setTimeout(r, 150)); // the hub's periodic pass
  const after = slow.take();
  assert.deepEqual(after.map((m) => m.type), ["error", "bar"]);
  assert.equal(after[0].code, ErrorCode.slowConsumer);
  assert.match(after[0].message as string, /5 messages dropped/);
  assert.equal(after[1].close, 14, "only the latest version of the bar");
});

Deno.test("hub: with --slow-policy disconnect a slow client is closed with 4009", () => {
  using h = setup({ slowPolicy: "disconnect" });
  const a = h.connect();
  a.request({ op: "subscribe", id: 1, channels: ["trades"] });
  a.bufferedAmount = 5000;
  h.hub.trade(trade("AAPL", 1));
  assert.equal(a.closed?.code, 4009);
  assert.equal(h.hub.stats.slow_disconnects, 1);
  assert.equal(h.hub.stats.clients, 0, "a closed client is forgotten");
});

Deno.test("hub: three wrong tokens close the socket; a socket that never authenticates times out", async () => {
  using h = setup({ token: "s3cret-token", authTimeoutMs: 100 });
  const a = h.connect(false);
  for (let i = 0; i < 3; i++) a.request({ op: "auth", id: i, token: `wrong-${i}-xxxx` });
  assert.equal(a.closed?.code, 4008);
  const idle = h.connect(false), good = h.connect(false);
  good.request({ op: "auth", id: 1, token: "s3cret-token" });
  await new Promise((r) => setTimeout(r, 250)); // past the timeout, a periodic pass ran
  assert.equal(idle.closed?.code, 4008, "the idle unauthenticated socket was closed");
  assert.equal(good.closed, undefined, "the authenticated one stays");
  assert.equal(h.hub.stats.auth_closed, 2);
});

Deno.test("hub: late ticks and anomalies carry one seq (the connection's) and the tick's sequence", () => {
  using h = setup();
  const a = h.connect();
  a.request({ op: "subscribe", id: 1, channels: ["bars:1s", "anomalies"], symbols: ["AAPL"] });
  a.take();
  h.hub.late({ symbol: "AAPL", time: "2026-01-02T00:00:00Z", seq: 777, price: 1, size: 1 });
  h.hub.anomaly({
    symbol: "AAPL",
    time: "2026-01-02T00:00:00Z",
    seq: 888,
    score: 9,
    kind: "stale",
  });
  const raw = a.sent.filter((x) => typeof x === "string") as string[];
  for (const text of raw) assert.equal(text.match(/"seq":/g)?.length, 1, text);
  const [late, anomaly] = a.take();
  assert.deepEqual([late.seq, late.sequence], [3, 777]);
  assert.deepEqual([anomaly.seq, anomaly.sequence], [4, 888]);
});

Deno.test("hub: a subscribe's cost is checked before it is paid", () => {
  using h = setup({ maxMessageBytes: 128 * 1024 });
  const a = h.connect();
  const channels = Array.from({ length: 4000 }, () => "trades");
  const symbols = Array.from({ length: 8000 }, (_, i) => `S${i}`);
  const t0 = performance.now();
  a.request({ op: "subscribe", id: 3, channels, symbols });
  const [m] = a.take();
  assert.deepEqual([m.code, m.id], [ErrorCode.tooManySubscriptions, 3]);
  assert.match(m.message as string, /4000 channels x 8000 symbols/);
  assert.ok(performance.now() - t0 < 1000, "refused without walking 32 million pairs");
});

Deno.test("hub: past the total buffer budget every client is slow, so memory stays bounded", async () => {
  using h = setup({ maxBufferedTotal: 1000 });
  const a = h.connect(), b = h.connect();
  for (const c of [a, b]) {
    c.request({ op: "subscribe", id: 1, channels: ["trades"] });
    c.take();
    c.bufferedAmount = 600; // each under its own 1000-byte mark, 1200 together
  }
  await new Promise((r) => setTimeout(r, 120)); // a periodic pass adds them up
  h.hub.trade(trade("AAPL", 1));
  assert.deepEqual([a.take().length, b.take().length], [0, 0]);
  assert.equal(h.hub.stats.slow_dropped, 2);
  assert.equal(h.hub.stats.buffered_bytes, 1200);
});

Deno.test("subscriber index: each subscriber once (named and *), none after removal", async () => {
  const { SubIndex } = await import("../src/server/sub_index.ts");
  const idx = new SubIndex<string>();
  const got = (sym: string) => {
    const out: string[] = [];
    idx.each("trades", sym, (c) => out.push(c));
    return out.sort();
  };
  for (let i = 0; i < 300; i++) idx.add("trades", `S${i % 60}`, `c${i}`);
  idx.add("trades", "*", "all");
  idx.add("trades", "S1", "all"); // named and wildcard: still one delivery
  assert.deepEqual(got("S1"), ["all", "c1", "c121", "c181", "c241", "c61"]);
  assert.deepEqual(got("NOPE"), ["all"]);
  idx.remove("trades", "*", "all");
  idx.remove("trades", "S1", "all");
  idx.remove("trades", "S1", "c61");
  assert.deepEqual(got("S1"), ["c1", "c121", "c181", "c241"]);
  for (const c of ["c1", "c121", "c181", "c241"]) idx.remove("trades", "S1", c);
  assert.deepEqual(got("S1"), []);
  assert.equal(idx.has("quotes"), false);
});

Deno.test("hub: event-to-send latency counts only trades that went to a subscriber", () => {
  using h = setup();
  const a = h.connect();
  a.request({ op: "subscribe", id: 1, channels: ["trades"], symbols: ["AAPL"] });
  a.take();
  const wire = new Histogram();
  const sink = new MarketSink(h.state, h.hub, wire);
  const ev = tradeEvent;
  sink.tick(ev(1, 1), "MSFT"); // nobody wants MSFT: not sent, not measured
  assert.equal(wire.count, 0);
  assert.equal(h.hub.tickEvent(ev(1, 2), "MSFT"), false);
  sink.tick(ev(0, 3), "AAPL");
  assert.equal(wire.count, 1);
  assert.deepEqual(a.take().map((m) => [m.type, m.sequence]), [["trade", 3]]);
});
