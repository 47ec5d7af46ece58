import assert from "node:assert/strict";
import {
  candlePixels,
  hasChromium,
  lastJson,
  launchChromium,
  promtoolClean,
  startTickwire,
  tickwire,
} from "./helpers.ts";
import { decodeBarMessage } from "../src/server/outbound.ts";

const SYNTH = [
  "--http",
  "127.0.0.1:0",
  "--status-interval",
  "0",
  "--windows",
  "1s,1m",
  "--rate",
  "20000",
];

/** A WebSocket client that collects messages and can wait for one. */
class Client {
  readonly msgs: Record<string, unknown>[] = [];
  readonly bin: Uint8Array[] = [];
  private waiters: (() => void)[] = [];
  readonly ws: WebSocket;
  readonly open: Promise<void>;
  constructor(url: string, protocols?: string[]) {
    this.ws = new WebSocket(url.replace("http", "ws") + "/v1/stream", protocols);
    this.ws.binaryType = "arraybuffer";
    this.open = new Promise((r, j) => {
      this.ws.onopen = () => r();
      this.ws.onerror = (e) => j(e);
    });
    this.ws.onmessage = (e) => {
      if (typeof e.data === "string") this.msgs.push(JSON.parse(e.data));
      else this.bin.push(new Uint8Array(e.data));
      for (const w of this.waiters.splice(0)) w();
    };
  }
  send(o: unknown) {
    this.ws.send(typeof o === "string" ? o : JSON.stringify(o));
  }
  async waitFor(
    pred: (m: Record<string, unknown>) => boolean,
    ms = 10_000,
  ): Promise<Record<string, unknown>> {
    const t0 = Date.now();
    for (;;) {
      const m = this.msgs.find(pred);
      if (m) return m;
      if (Date.now() - t0 > ms) {
        throw new Error(`timed out; got ${JSON.stringify(this.msgs.slice(-5))}`);
      }
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  close() {
    this.ws.close();
  }
}

async function getJson(url: string, init?: RequestInit) {
  const r = await fetch(url, init);
  return { status: r.status, body: await r.json() };
}

Deno.test("REST: health, stats, symbols, bars, latest ticks, anomalies, metrics, JSON errors", async () => {
  const bg = startTickwire(SYNTH);
  try {
    await bg.ready;
    const u = bg.url();
    await new Promise((r) => setTimeout(r, 2300)); // let a few 1 s bars close
    assert.deepEqual((await getJson(`${u}/v1/health`)).body.status, "ok");
    const stats = (await getJson(`${u}/v1/stats`)).body;
    assert.ok(stats.pipeline.ticks > 0);
    assert.equal(typeof stats.latency_ns.p99, "number");
    assert.equal(typeof stats.ring.fill, "number");
    const syms = (await getJson(`${u}/v1/symbols`)).body;
    assert.ok(syms.symbols.length >= 8);
    assert.deepEqual(syms.windows, ["1s", "1m"]);
    const s = syms.symbols[0].symbol;
    const bars = (await getJson(`${u}/v1/bars?symbol=${s}&window=1s&limit=100`)).body.bars;
    assert.ok(bars.filter((b: { final: boolean }) => b.final).length >= 1);
    for (const b of bars) {
      assert.ok(b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high);
    }
    const from = bars[bars.length - 1].start;
    const after = (await getJson(`${u}/v1/bars?symbol=${s}&window=1s&from=${from}`)).body.bars;
    assert.ok(after.every((b: { start: string }) => b.start >= from));
    const latest = (await getJson(`${u}/v1/ticks/latest?symbol=${s}`)).body;
    assert.equal(latest.symbol, s);
    assert.ok(latest.trade.price > 0 && latest.quote.ask >= latest.quote.bid);
    assert.ok(Array.isArray((await getJson(`${u}/v1/anomalies?since=0`)).body.anomalies));
    for (
      const [path, status, code] of [
        ["/v1/bars?window=1s", 400, "bad_parameter"],
        ["/v1/bars?symbol=AAPL&window=7s", 400, "bad_parameter"],
        ["/v1/bars?symbol=AAPL&window=1s&limit=0", 400, "bad_parameter"],
        ["/v1/bars?symbol=AAPL&window=1s&from=yesterday", 400, "bad_parameter"],
        ["/v1/bars?symbol=NOPE&window=1s", 404, "unknown_symbol"],
        ["/v1/ticks/latest?symbol=NOPE", 404, "unknown_symbol"],
        ["/v1/nothing", 404, "not_found"],
      ] as [string, number, string][]
    ) {
      const r = await getJson(u + path);
      assert.equal(r.status, status, path);
      assert.equal(r.body.code, code, path);
      assert.equal(typeof r.body.message, "string");
    }
    const metrics = await (await fetch(`${u}/metrics`)).text();
    assert.match(metrics, /^tickwire_ticks_total \d+$/m);
    assert.match(metrics, /^tickwire_ring_dropped_records_total 0$/m);
    assert.match(metrics, /^tickwire_receive_to_bar_seconds_bucket\{le="\+Inf"\} \d+$/m);
    assert.match(metrics, /^# HELP tickwire_ticks_total \S/m);
    await promtoolClean(metrics);
    assert.ok(
      metrics.split("\n").filter((l) => l && !l.startsWith("#")).every((l) =>
        l.startsWith("tickwire_")
      ),
    );
  } finally {
    await bg.stop();
  }
});

Deno.test("WebSocket: subscribe, ack, snapshot, trades, bars, list, ping, unsubscribe; seq per connection", async () => {
  const bg = startTickwire(SYNTH);
  try {
    await bg.ready;
    await new Promise((r) => setTimeout(r, 1200));
    const c = new Client(bg.url());
    await c.open;
    c.send({ op: "subscribe", id: 7, channels: ["trades", "bars:1s"], symbols: ["AAPL"] });
    const ack = await c.waitFor((m) => m.type === "ack" && m.id === 7);
    assert.deepEqual(ack.subscriptions, { "bars:1s": ["AAPL"], trades: ["AAPL"] });
    const snap = await c.waitFor((m) => m.type === "snapshot");
    assert.ok(Array.isArray(snap.bars) && Array.isArray(snap.trades));
    const trade = await c.waitFor((m) => m.type === "trade");
    assert.equal(trade.symbol, "AAPL");
    assert.ok((trade.price as number) > 0);
    const bar = await c.waitFor((m) => m.type === "bar" && m.final === true, 5000);
    assert.equal(bar.symbol, "AAPL");
    assert.equal(bar.window, "1s");
    assert.equal(bar.revision, 0);
    await c.waitFor((m) => m.type === "heartbeat", 3000);
    c.send({ op: "list", id: 8 });
    const list = await c.waitFor((m) => m.type === "ack" && m.id === 8);
    assert.ok((list.symbols as string[]).includes("AAPL"));
    c.send({ op: "ping", id: 9 });
    await c.waitFor((m) => m.type === "ack" && m.id === 9);
    c.send({ op: "unsubscribe", id: 10, channels: ["trades"], symbols: ["AAPL"] });
    const un = await c.waitFor((m) => m.type === "ack" && m.id === 10);
    assert.deepEqual(un.subscriptions, { "bars:1s": ["AAPL"] });
    const seqs = c.msgs.map((m) => m.seq as number);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), "seq counts 1, 2, 3 ... per connection");
    c.close();
  } finally {
    await bg.stop();
  }
});

Deno.test("WebSocket: bad messages get error replies with the request id and a code", async () => {
  const bg = startTickwire([...SYNTH, "--max-subscriptions", "3"]);
  try {
    await bg.ready;
    const c = new Client(bg.url());
    await c.open;
    const cases: [unknown, number][] = [
      ["{not json", 4000],
      [{ op: "dance", id: 1 }, 4002],
      [{ op: "subscribe", id: 2, channels: ["gossip"], symbols: ["AAPL"] }, 4003],
      [{ op: "subscribe", id: 3, channels: ["trades"], symbols: ["WAY_TOO_LONG_SYMBOL"] }, 4004],
      [{ op: "subscribe", id: 4, channels: ["bars:7s"], symbols: ["AAPL"] }, 4005],
      [{ op: "subscribe", id: 5, channels: ["trades", "quotes"], symbols: ["A", "B"] }, 4006],
      [{ op: "subscribe", id: 6, channels: "trades" }, 4001],
      ["x".repeat(70_000), 4007],
    ];
    for (const [req, code] of cases) {
      const before = c.msgs.length;
      c.send(req);
      const err = await c.waitFor((m) => c.msgs.indexOf(m) >= before && m.type === "error");
      assert.equal(err.code, code, JSON.stringify(req).slice(0, 80));
      assert.equal(typeof err.message, "string");
      if (typeof req === "object") assert.equal(err.id, (req as { id: number }).id);
    }
    // the connection still works after all that
    c.send({ op: "ping", id: 99 });
    await c.waitFor((m) => m.type === "ack" && m.id === 99);
    c.close();
  } finally {
    await bg.stop();
  }
});

Deno.test("auth: token required over HTTP and on the socket; non-loopback needs a token", async () => {
  const r = await tickwire(["--http", "0.0.0.0:0", "--count", "10"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not a loopback address: give --token/);
  const token = "s3cret-token";
  const bg = startTickwire([...SYNTH, "--token", token]);
  try {
    await bg.ready;
    const u = bg.url();
    const no = await getJson(`${u}/v1/stats`);
    assert.equal(no.status, 401);
    assert.equal(no.body.code, "unauthorized");
    assert.equal((await fetch(`${u}/metrics`)).status, 401);
    const yes = await getJson(`${u}/v1/stats`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(yes.status, 200);
    const c = new Client(u);
    await c.open;
    c.send({ op: "subscribe", id: 1, channels: ["stats"] });
    const err = await c.waitFor((m) => m.type === "error" && m.id === 1);
    assert.equal(err.code, 4008);
    c.send({ op: "auth", id: 2, token: "wrong-token" });
    assert.equal((await c.waitFor((m) => m.type === "error" && m.id === 2)).code, 4008);
    c.send({ op: "auth", id: 3, token });
    await c.waitFor((m) => m.type === "ack" && m.id === 3);
    c.send({ op: "subscribe", id: 4, channels: ["stats"] });
    await c.waitFor((m) => m.type === "ack" && m.id === 4);
    const st = await c.waitFor((m) => m.type === "stats");
    assert.ok((st.pipeline as { ticks: number }).ticks > 0);
    c.close();
  } finally {
    await bg.stop();
  }
});

Deno.test("binary encoding: bars as FlatBuffers frames, 4-byte seq prefix", async () => {
  const bg = startTickwire(SYNTH);
  try {
    await bg.ready;
    const c = new Client(bg.url());
    await c.open;
    c.send({
      op: "subscribe",
      id: 1,
      channels: ["bars:1s"],
      symbols: ["MSFT"],
      encoding: "flatbuffers",
    });
    await c.waitFor((m) => m.type === "ack");
    const t0 = Date.now();
    while (c.bin.length < 2 && Date.now() - t0 < 6000) await new Promise((r) => setTimeout(r, 100));
    assert.ok(c.bin.length >= 2, "binary bar frames arrived");
    const f = c.bin[c.bin.length - 1];
    const seq = new DataView(f.buffer, f.byteOffset).getUint32(0, true);
    assert.ok(seq > 2);
    const bar = decodeBarMessage(f.subarray(4));
    assert.equal(bar.symbol, "MSFT");
    assert.equal(bar.window, "1s");
    assert.ok(bar.high >= bar.low && bar.volume > 0);
    c.close();
  } finally {
    await bg.stop();
  }
});

Deno.test("a client in another language: python3-websockets receives acks and bars", async () => {
  const bg = startTickwire(SYNTH);
  try {
    await bg.ready;
    const url = bg.url().replace("http", "ws") + "/v1/stream";
    const py = `
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        await ws.send(json.dumps({"op": "subscribe", "id": 1, "channels": ["bars:1s"], "symbols": ["*"]}))
        seen = {"ack": 0, "snapshot": 0, "bar": 0}
        while seen["bar"] < 10:
            m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if m["type"] in seen: seen[m["type"]] += 1
        print(json.dumps(seen))
asyncio.run(main())
`;
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", py, url],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const seen = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual([seen.ack, seen.snapshot], [1, 1]);
    assert.equal(seen.bar, 10);
  } finally {
    await bg.stop();
  }
});

/** A WebSocket client that subscribes and then never reads: a raw TCP socket. */
async function stalledClient(url: string, sub: unknown): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  await conn.write(new TextEncoder().encode(
    `GET /v1/stream HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  ));
  const buf = new Uint8Array(1024);
  await conn.read(buf); // the 101 response
  const payload = new TextEncoder().encode(JSON.stringify(sub));
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const frame = new Uint8Array(2 + 2 + 4 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | 126;
  frame[2] = payload.length >> 8;
  frame[3] = payload.length & 255;
  frame.set(mask, 4);
  for (let i = 0; i < payload.length; i++) frame[8 + i] = payload[i] ^ mask[i & 3];
  await conn.write(frame);
  return conn; // and never read again
}

for (const policy of ["drop", "disconnect"] as const) {
  Deno.test(`slow consumer (${policy}): the pipeline and a fast client are unaffected`, async () => {
    const bg = startTickwire([
      "--http",
      "127.0.0.1:0",
      "--status-interval",
      "0",
      "--windows",
      "1s",
      "--rate",
      "100000",
      "--slow-policy",
      policy,
    ]);
    try {
      await bg.ready;
      const u = bg.url();
      const slow = await stalledClient(u, {
        op: "subscribe",
        id: 1,
        channels: ["trades", "quotes"],
        symbols: ["*"],
      });
      const fast = new Client(u);
      await fast.open;
      fast.send({ op: "subscribe", id: 1, channels: ["bars:1s"], symbols: ["*"] });
      // at least 5 s; on a loaded machine the stalled socket takes longer to fill up, so wait
      // (up to 60 s) for the policy to act rather than for a fixed time
      await new Promise((r) => setTimeout(r, 5000));
      const acted = (s: { server: Record<string, number> }) =>
        policy === "drop" ? s.server.slow_dropped > 0 : s.server.slow_disconnects >= 1;
      let stats = (await getJson(`${u}/v1/stats`)).body;
      for (let i = 0; i < 110 && !acted(stats); i++) {
        await new Promise((r) => setTimeout(r, 500));
        stats = (await getJson(`${u}/v1/stats`)).body;
      }
      const finals = fast.msgs.filter((m) => m.type === "bar" && m.final);
      assert.ok(finals.length >= 8 * 3, `fast client got ${finals.length} final bars`);
      if (policy === "drop") assert.ok(stats.server.slow_dropped > 0, JSON.stringify(stats.server));
      else assert.ok(stats.server.slow_disconnects >= 1, JSON.stringify(stats.server));
      assert.equal(stats.ring.drops, 0, "the receive ring never overflowed");
      assert.equal(stats.pipeline.gaps, 0);
      fast.close();
      slow.close();
      const s = lastJson<Record<string, number>>(await bg.stop());
      assert.equal(s.ring_drops, 0);
      assert.ok(s.ticks > 300_000, `pipeline kept up: ${s.ticks} ticks`);
    } finally {
      await bg.stop().catch(() => {});
    }
  });
}

Deno.test({
  name: "dashboard in headless Chromium draws candles (screenshot saved)",
  ignore: !hasChromium(),
  async fn() {
    const bg = startTickwire(SYNTH);
    const browser = await launchChromium();
    try {
      await bg.ready;
      const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
      const errors: string[] = [];
      page.on("pageerror", (e: unknown) => errors.push(String(e)));
      await page.goto(bg.url() + "/");
      await page.waitForFunction("window.__tickwire && window.__tickwire.candles >= 3", null, {
        timeout: 20_000,
      });
      // candles are drawn: count green/red pixels on the chart canvases
      // (browser-side code as strings: this file is type-checked without the DOM)
      const colored = await candlePixels(page);
      assert.ok(colored > 50, `candle pixels: ${colored}`);
      const shot = await Deno.makeTempFile({ prefix: "tickwire-dashboard-", suffix: ".png" });
      await page.screenshot({ path: shot });
      const png = await Deno.readFile(shot);
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG screenshot");
      console.log(`dashboard screenshot: ${shot}`);
      // the crosshair shows an OHLCV legend (with buy and sell volume) for the candle under it
      const box = (await page.locator("#chart").boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
      const text = async (id: string) =>
        String(await page.evaluate(`document.getElementById("${id}").textContent`));
      await page.waitForFunction(
        `/ O [\\d.]+ +H [\\d.]+ +L [\\d.]+ +C [\\d.]+ +V \\d+ \\(buy \\d+ \\/ sell \\d+\\)/.test(
        document.getElementById("legend").textContent)`,
        null,
        { timeout: 5_000 },
      );
      assert.match(
        await text("last"),
        /^[\d.]+ [+-][\d.]+ \([+-][\d.]+%\)$/,
        "last price and change",
      );
      // time zone: UTC, then New York (the legend's time moves by 4 or 5 hours)
      const hour = async () => Number(/\d{4},? (\d\d):/.exec(await text("legend"))![1]);
      const utc = await hour();
      await page.selectOption("#tz", "America/New_York");
      const ny = await hour();
      assert.ok([4, 5].includes((utc - ny + 24) % 24), `UTC ${utc}h vs New York ${ny}h`);
      // one timeframe button per window; a click switches
      const buttons = await page.evaluate(
        `[...document.querySelectorAll("#tf button")].map((b) => b.textContent)`,
      );
      assert.deepEqual(buttons, ["1s", "1m"]);
      await page.click("#tf button:nth-child(2)");
      await page.waitForFunction(`window.__tickwire.window === "1m"`);
      // the symbol filter narrows the list
      await page.fill("#filter", "MS");
      const shown = await page.evaluate(
        `[...document.getElementById("symbol").options].map((o) => o.textContent)`,
      ) as string[];
      assert.ok(shown.length >= 1 && shown.every((s) => s.includes("MS")), String(shown));
      assert.deepEqual(errors, []);
      // a phone-sized screen gets the stacked layout, nothing wider than the screen
      await page.setViewportSize({ width: 390, height: 844 });
      const stacked = await page.evaluate(
        `getComputedStyle(document.querySelector("main")).gridTemplateColumns.split(" ").length`,
      );
      assert.equal(stacked, 1);
      assert.ok(
        await page.evaluate(`document.documentElement.scrollWidth <= 390`),
        "no sideways scroll",
      );
      const phone = await Deno.makeTempFile({ prefix: "tickwire-phone-", suffix: ".png" });
      await page.screenshot({ path: phone, fullPage: true });
      console.log(`phone screenshot: ${phone}`);
    } finally {
      await browser.close();
      await bg.stop();
    }
  },
});

Deno.test("anomalies reach WebSocket subscribers and /v1/anomalies", async () => {
  const bg = startTickwire([...SYNTH, "--anomalies", "0.002"]);
  try {
    await bg.ready;
    const u = bg.url();
    const c = new Client(u);
    await c.open;
    c.send({ op: "subscribe", id: 1, channels: ["anomalies"], symbols: ["*"] });
    await c.waitFor((m) => m.type === "ack");
    const a = await c.waitFor((m) => m.type === "anomaly", 10_000);
    for (const k of ["symbol", "time", "sequence", "score", "kind"]) assert.ok(k in a, k);
    // one key, one meaning: seq counts this connection's messages, sequence is the tick's
    assert.equal(a.seq, c.msgs.indexOf(a) + 1);
    const list = (await getJson(`${u}/v1/anomalies?since=0`)).body.anomalies;
    assert.ok(list.length >= 1);
    const later =
      (await getJson(`${u}/v1/anomalies?since=${new Date(Date.now() + 3600_000).toISOString()}`))
        .body;
    assert.deepEqual(later.anomalies, []);
    c.close();
  } finally {
    await bg.stop();
  }
});

Deno.test({
  name: "dashboard in headless Chromium: the stats panel keeps updating and anomaly markers appear",
  ignore: !hasChromium(),
  async fn() {
    const bg = startTickwire([...SYNTH, "--anomalies", "0.01"]);
    const browser = await launchChromium();
    try {
      await bg.ready;
      const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
      await page.goto(bg.url() + "/");
      await page.waitForFunction("window.__tickwire && window.__tickwire.candles >= 1", null, {
        timeout: 20_000,
      });
      const ticks = () => page.evaluate(`document.getElementById("s-ticks").textContent`);
      const first = await ticks();
      // stats arrive every second on the socket: the panel must move on its own
      await page.waitForFunction(
        `document.getElementById("s-ticks").textContent !== ${JSON.stringify(first)}`,
        null,
        { timeout: 10_000 },
      );
      await page.waitForFunction("(window.__tickwire.markers ?? 0) > 0", null, {
        timeout: 20_000,
      });
      const shown = await page.evaluate(`Number(document.getElementById("s-anom").textContent)`);
      assert.ok((shown as number) > 0, `anomalies shown: ${shown}`);
    } finally {
      await browser.close();
      await bg.stop();
    }
  },
});
