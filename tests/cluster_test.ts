/**
 * Scale-out across machines (issue 8) against real parts: `nats-server`
 * processes (a 3-node JetStream cluster on loopback), tickwire processor
 * shards publishing to it, tickwire gateways serving WebSocket clients from
 * it, and failures made by killing processes. `deno task test:cluster`.
 */
import assert from "node:assert/strict";
import {
  candlePixels,
  findTool,
  hasChromium,
  lastJson,
  launchChromium,
  type Run,
  startTickwire,
  tempDir,
  tickwire,
} from "./helpers.ts";
import { startNats } from "./nats_cluster.ts";

/** Tests that run real nats-server processes are skipped, with a note, where it is missing. */
const noNats = findTool("nats-server", "nats-server") === undefined;
import { fnv1a32, parseShard, shardOf } from "../src/pipeline/shard.ts";
import { barSubject, parseSubject, symbolToken } from "../src/cluster/subjects.ts";
import {
  decodeMessage,
  encodeAnomalyMessage,
  encodeBarMessage,
  encodeTradeBatchMessage,
  encodeTradeMessage,
  patchStreamSeq,
} from "../src/server/outbound.ts";

/** One WebSocket client that records final bars, with their stream positions. */
class BarClient {
  ws?: WebSocket;
  /** key symbol|window|start|revision -> times received */
  readonly seen = new Map<string, number>();
  readonly bars = new Map<string, Record<string, unknown>>();
  lastSeq = 0;
  outOfOrder = 0;
  errors: Record<string, unknown>[] = [];
  caughtUp = false;
  trades: Record<string, unknown>[] = [];
  /** anomaly key symbol|seq|kind -> times received */
  readonly anomalies = new Map<string, number>();

  /** Connects and subscribes to final bars; resolves on the ack. */
  connect(url: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const ws = this.ws = new WebSocket(`${url.replace("http", "ws")}/v1/stream`);
    const { promise, resolve, reject } = Promise.withResolvers<Record<string, unknown>>();
    ws.onopen = () =>
      ws.send(JSON.stringify({ op: "subscribe", id: 1, channels: ["bars:1s"], ...extra }));
    ws.onerror = () => reject(new Error("websocket error"));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data as string);
      if (m.type === "ack") resolve(m);
      else if (m.type === "error") {
        this.errors.push(m);
        if (m.code !== 4011) reject(new Error(JSON.stringify(m)));
      } else if (m.type === "caught_up") this.caughtUp = true;
      else if (m.type === "trade") this.trades.push(m);
      else if (m.type === "anomaly") {
        const key = `${m.symbol}|${m.sequence}|${m.kind}`;
        this.anomalies.set(key, (this.anomalies.get(key) ?? 0) + 1);
        if (m.stream_seq <= this.lastSeq) this.outOfOrder++;
        this.lastSeq = m.stream_seq;
      } else if (m.type === "bar" && m.final) {
        const key = `${m.symbol}|${m.window}|${m.start}|${m.revision}`;
        this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
        this.bars.set(key, m);
        if (m.stream_seq <= this.lastSeq) this.outOfOrder++;
        this.lastSeq = m.stream_seq;
      }
    };
    return promise;
  }

  close() {
    this.ws?.close();
  }
}

/** Final bars written by processors with --bars-out, by key. */
async function barsOut(files: string[]): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const f of files) {
    for (const line of (await Deno.readTextFile(f)).split("\n")) {
      if (!line) continue;
      const b = JSON.parse(line);
      out.set(`${b.symbol}|${b.window}|${b.start}|${b.revision ?? 0}`, b);
    }
  }
  return out;
}

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function assertExactlyOnce(
  name: string,
  c: BarClient,
  expected: Map<string, Record<string, unknown>>,
) {
  const dups = [...c.seen].filter(([, n]) => n > 1).map(([k]) => k);
  assert.deepEqual(dups, [], `${name}: bars received more than once`);
  const missing = [...expected.keys()].filter((k) => !c.seen.has(k));
  assert.deepEqual(missing, [], `${name}: final bars never received`);
  const extra = [...c.seen.keys()].filter((k) => !expected.has(k));
  assert.deepEqual(extra, [], `${name}: bars no processor wrote`);
  for (const [k, b] of expected) {
    const got = c.bars.get(k)!;
    for (const f of ["open", "high", "low", "close", "volume", "trades"]) {
      assert.equal(got[f], b[f], `${name}: ${k} ${f}`);
    }
  }
  assert.equal(c.outOfOrder, 0, `${name}: stream positions went backwards`);
}

/** Index (n0, n1, ...) of the node leading the TICKWIRE stream. */
async function streamLeader(urls: string[]): Promise<number> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: urls });
  try {
    const info = await (await jetstreamManager(nc)).streams.info("TICKWIRE");
    const m = /^n(\d+)$/.exec(info.cluster?.leader ?? "");
    assert.ok(m, `no stream leader: ${JSON.stringify(info.cluster)}`);
    return Number(m[1]);
  } finally {
    await nc.close();
  }
}

/** A gateway on a free port, 1 s bars. */
function startGateway(nats: string, extra: string[] = []) {
  return startTickwire([
    "--role",
    "gateway",
    "--nats",
    nats,
    "--windows",
    "1s",
    "--http",
    "127.0.0.1:0",
    ...extra,
  ]);
}

const SYNTH = [
  "--seed",
  "11",
  "--symbols",
  "8",
  "--start",
  "2026-01-02T00:00:00Z",
  "--windows",
  "1s",
  "--no-model",
  "--quiet",
];

Deno.test("shards: FNV-1a matches the published test vectors and splits symbols stably", () => {
  // vectors from the FNV specification (draft-eastlake-fnv): "" "a" "foobar"
  assert.equal(fnv1a32(""), 0x811c9dc5);
  assert.equal(fnv1a32("a"), 0xe40c292c);
  assert.equal(fnv1a32("foobar"), 0xbf9cf968);
  const syms = Array.from({ length: 1000 }, (_, i) => `S${i}`);
  const counts = [0, 0, 0, 0];
  for (const s of syms) counts[shardOf(s, 4)]++;
  for (const n of counts) assert.ok(n > 150, `shards unbalanced: ${counts}`);
  assert.deepEqual(parseShard("1/3"), { index: 1, count: 3 });
  assert.throws(() => parseShard("3/3"), /0..2/);
  assert.throws(() => parseShard("x"), /i\/n/);
});

Deno.test("subjects: symbols that NATS would split are escaped and read back", () => {
  assert.equal(barSubject("1m", "BRK.B"), "tickwire.bars.1m.BRK%2EB");
  for (const s of ["BRK.B", "A*B", "X>Y", "50%", "AAPL"]) {
    const t = symbolToken(s);
    assert.ok(!/[.*> ]/.test(t), t);
    assert.equal(parseSubject(`tickwire.trades.${t}`)?.symbol, s);
  }
  assert.equal(parseSubject("other.bars.1m.A"), null);
});

Deno.test("messages: trade, anomaly and bar round-trip; the stream position patches in place", () => {
  const bar = {
    symbol: "AAPL",
    window: "1s",
    start: "2026-01-02T00:00:01Z",
    end: "2026-01-02T00:00:02Z",
    open: 1,
    high: 2,
    low: 0.5,
    close: 1.5,
    volume: 30,
    buy_volume: 20,
    sell_volume: 10,
    trades: 3,
    vwap: 1.25,
    final: true,
    revision: 0,
    filled: false,
  };
  const bytes = encodeBarMessage(bar);
  assert.equal(decodeMessage(bytes).streamSeq, 0);
  const big = 2 ** 40 + 12345; // past 32 bits
  assert.ok(patchStreamSeq(bytes, big));
  const d = decodeMessage(bytes);
  assert.equal(d.streamSeq, big);
  assert.deepEqual(d.type === "bar" && d.bar, bar);
  const t = decodeMessage(encodeTradeMessage("MSFT", 1767312000, 123456789, 410.25, 100, 2, 77));
  assert.equal(t.type, "trade");
  assert.deepEqual(t.type === "trade" && t.trade, {
    symbol: "MSFT",
    time: "2026-01-02T00:00:00.123456789Z",
    price: 410.25,
    size: 100,
    side: "sell",
    sequence: 77,
  });
  const a = decodeMessage(encodeAnomalyMessage({
    symbol: "GOOG",
    time: "2026-01-02T00:00:00.5Z",
    seq: 9,
    score: 7.5,
    kind: "price_spike",
    price: 100.5,
    size: 10,
  }));
  assert.equal(a.type === "anomaly" && a.anomaly.kind, "price_spike");
  assert.equal(a.type === "anomaly" && a.anomaly.time, "2026-01-02T00:00:00.5Z");
  const flat = [1767312000, 5, 10.5, 100, 1, 1, 1767312001, 0, 10.75, 200, 2, 2];
  const batch = decodeMessage(encodeTradeBatchMessage("BRK.B", flat, 2));
  assert.equal(batch.type, "trades");
  assert.deepEqual(batch.type === "trades" && batch.trades.map((t) => t.trade), [
    {
      symbol: "BRK.B",
      time: "2026-01-02T00:00:00.000000005Z",
      price: 10.5,
      size: 100,
      side: "buy",
      sequence: 1,
    },
    {
      symbol: "BRK.B",
      time: "2026-01-02T00:00:01Z",
      price: 10.75,
      size: 200,
      side: "sell",
      sequence: 2,
    },
  ]);
  assert.throws(() => decodeMessage(new Uint8Array(16)), /TWO1/);
});

Deno.test("cli: cluster flags are checked", async () => {
  for (
    const [args, re] of [
      [["--role", "gateway"], /needs --nats/],
      [["--nats", "not a url"], /--nats: expected/],
      [["--role", "gateway", "--nats", "127.0.0.1:1", "--shard", "0/2"], /--shard applies/],
      [["--role", "gateway", "--nats", "127.0.0.1:1", "--feed", "udp"], /--feed applies/],
      [["--shard", "2/2"], /--shard: shard index/],
      [["--replicas", "3"], /--replicas needs --nats/],
    ] as [string[], RegExp][]
  ) {
    const r = await tickwire(
      [...args, "--no-http"].filter((a) => !(a === "--no-http" && args.includes("gateway"))),
    );
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});

Deno.test("processor: an unreachable NATS is a clear start-up error, not a hang", async () => {
  const r = await tickwire([
    "--nats",
    "nats://127.0.0.1:1",
    "--nats-timeout",
    "2s",
    "--no-http",
    "--quiet",
    "--count",
    "10",
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /cannot reach NATS at nats:\/\/127.0.0.1:1/);
});

Deno.test("standalone server: resumeFrom is refused with 4010 (no stream behind it)", async () => {
  const bg = startTickwire(["--rate", "1000", "--no-model", "--http", "127.0.0.1:0"]);
  try {
    await bg.ready;
    const ws = new WebSocket(`${bg.url().replace("http", "ws")}/v1/stream`);
    const msg = new Promise<Record<string, unknown>>((resolve) => {
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data as string);
        if (m.type !== "heartbeat") resolve(m);
      };
    });
    await new Promise((r) => (ws.onopen = r));
    ws.send(JSON.stringify({ op: "subscribe", id: 5, channels: ["bars:1s"], resumeFrom: 1 }));
    const m = await msg;
    assert.equal(m.type, "error");
    assert.equal(m.code, 4010);
    ws.close();
  } finally {
    await bg.stop();
  }
});

Deno.test({
  name:
    "single node: resume by sequence and by time, binary frames carry the position, retention gaps are told",
  ignore: noNats,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using nats = await startNats(1);
    await using tmp = await tempDir();
    const p = await tickwire([
      ...SYNTH,
      "--nats",
      nats.nats,
      "--count",
      "4000",
      "--rate",
      "0",
      "--no-http",
      "--bars-out",
      `${tmp.dir}/bars.ndjson`,
    ]);
    assert.equal(p.code, 0, p.stderr);
    const ps = lastJson(p);
    assert.equal((ps.cluster as Record<string, number>).unacked, 0);
    const expected = await barsOut([`${tmp.dir}/bars.ndjson`]);
    assert.ok(expected.size >= 8, `only ${expected.size} bars`);
    assert.equal((ps.cluster as Record<string, number>).durable_acked, expected.size);

    const gw = startGateway(nats.nats);
    try {
      await gw.ready;
      const url = gw.url();
      // from the start of the stream: everything, once, then caught up
      const all = new BarClient();
      await all.connect(url, { resumeFrom: 1 });
      await until("all bars", () => all.seen.size >= expected.size && all.caughtUp);
      assertExactlyOnce("resume 1", all, expected);
      all.close();
      // from the middle: exactly the rest
      const mid = Math.floor(all.lastSeq / 2);
      const rest = new BarClient();
      await rest.connect(url, { resumeFrom: { seq: mid + 1 } });
      await until("the rest", () => rest.caughtUp);
      const want = [...all.bars].filter(([, b]) => (b.stream_seq as number) > mid);
      assert.deepEqual([...rest.seen.keys()].sort(), want.map(([k]) => k).sort());
      rest.close();
      // by time: bars stored at or after a time (all of them: they were stored just now)
      const byTime = new BarClient();
      await byTime.connect(url, { resumeFrom: new Date(Date.now() - 600_000).toISOString() });
      await until("bars by time", () => byTime.caughtUp);
      assertExactlyOnce("resume by time", byTime, expected);
      byTime.close();
      // bad resume points are request errors; quotes are not in the cluster
      const bad = new BarClient();
      await assert.rejects(bad.connect(url, { resumeFrom: -1 }), /4001/);
      bad.close();
      const noQuotes = new BarClient();
      await assert.rejects(noQuotes.connect(url, { channels: ["quotes"] }), /4003.*processor/);
      noQuotes.close();
      // binary: the FlatBuffers message has the stream position patched in
      const ws = new WebSocket(`${url.replace("http", "ws")}/v1/stream`);
      ws.binaryType = "arraybuffer";
      const frames: Uint8Array[] = [];
      ws.onmessage = (e) => {
        if (typeof e.data !== "string") frames.push(new Uint8Array(e.data as ArrayBuffer));
      };
      await new Promise((r) => (ws.onopen = r));
      ws.send(JSON.stringify({
        op: "subscribe",
        channels: ["bars:1s"],
        encoding: "flatbuffers",
        resumeFrom: 1,
      }));
      await until("binary bars", () => frames.length >= expected.size);
      const seqs = frames.map((f) => decodeMessage(f.subarray(4)).streamSeq);
      assert.deepEqual(seqs, [...all.bars.values()].map((b) => b.stream_seq));
      ws.close();
      // retention: purge the first half; resuming from 1 says what is gone
      const { connect } = await import("@nats-io/transport-node");
      const { jetstreamManager } = await import("@nats-io/jetstream");
      const nc = await connect({ servers: nats.urls });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.purge("TICKWIRE", { seq: mid + 1 });
      await nc.close();
      const gap = new BarClient();
      await gap.connect(url, { resumeFrom: 1 });
      await until("bars after the gap", () => gap.caughtUp);
      assert.equal(gap.errors[0]?.code, 4011);
      assert.match(String(gap.errors[0]?.message), new RegExp(`starts at ${mid + 1}`));
      assert.deepEqual([...gap.seen.keys()].sort(), want.map(([k]) => k).sort());
      gap.close();
    } finally {
      await gw.stop();
    }
  },
});

Deno.test({
  name: "gateway dashboard in headless Chromium draws candles from NATS",
  ignore: noNats || !hasChromium(),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using nats = await startNats(1);
    const gw = startGateway(nats.nats);
    const p = startTickwire([
      "--nats",
      nats.nats,
      "--rate",
      "2000",
      "--count",
      "30000",
      "--windows",
      "1s",
      "--no-model",
      "--no-http",
    ]);
    const browser = await launchChromium();
    try {
      await Promise.all([gw.ready, p.ready]);
      const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
      const errors: string[] = [];
      page.on("pageerror", (e: unknown) => errors.push(String(e)));
      await page.goto(gw.url() + "/");
      await page.waitForFunction("window.__tickwire && window.__tickwire.candles >= 3", null, {
        timeout: 20_000,
      });
      assert.ok((await candlePixels(page)) > 50, "candles drawn");
      assert.match(await page.textContent("#s-feed") ?? "", /gateway \(NATS/);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await Promise.all([gw.stop(), p.stop()]);
    }
  },
});

Deno.test({
  name:
    "3-node cluster, 2 shards, 2 gateways: every final bar exactly once through a NATS node kill, a gateway kill and restart",
  ignore: noNats,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using nats = await startNats(3);
    await using tmp = await tempDir();
    const r3 = ["--replicas", "3"];
    const g1 = startGateway(nats.nats, r3), g2 = startGateway(nats.nats, r3);
    let g1b: ReturnType<typeof startTickwire> | undefined;
    const clients: BarClient[] = [];
    try {
      await Promise.all([g1.ready, g2.ready]);
      const a = new BarClient(), b = new BarClient();
      clients.push(a, b);
      const durable = { channels: ["bars:1s", "anomalies"] };
      await a.connect(g1.url(), { ...durable, resumeFrom: 1 }); // resumes after failures
      await b.connect(g2.url(), { channels: ["bars:1s", "trades"] }); // live: never reconnects
      const shards = [0, 1].map((i) =>
        startTickwire([
          ...SYNTH,
          "--nats",
          nats.nats,
          "--replicas",
          "3",
          "--shard",
          `${i}/2`,
          "--count",
          "16000",
          "--rate",
          "1000",
          "--no-http",
          "--bars-out",
          `${tmp.dir}/shard${i}.ndjson`,
          "--anomalies",
          "0.002",
          "--anomalies-out",
          `${tmp.dir}/anomalies${i}.ndjson`,
        ])
      );
      await new Promise((r) => setTimeout(r, 4000));
      // the node leading the stream dies mid-feed: a leader election for
      // the publishers, and any consumer it hosted goes with it
      const leader = await streamLeader(nats.urls);
      await nats.kill(leader);
      await new Promise((r) => setTimeout(r, 3000));
      g1.child.kill("SIGKILL"); // a gateway dies; its client reconnects elsewhere later
      await g1.wait();
      await new Promise((r) => setTimeout(r, 2000));
      g1b = startGateway(nats.nats, r3); // restarted
      await g1b.ready;
      const before = a.seen.size;
      a.close();
      await a.connect(g1b.url(), { ...durable, resumeFrom: a.lastSeq + 1 });
      const runs: Run[] = await Promise.all(shards.map((s) => s.wait()));
      for (const r of runs) {
        assert.equal(r.code, 0, r.stderr);
        const c = lastJson(r).cluster as Record<string, number>;
        assert.equal(c.unacked, 0);
        assert.equal(c.durable_dropped, 0);
      }
      const sums = runs.map((r) => lastJson(r));
      assert.ok(
        sums.every((s) => (s.foreign as number) > 0),
        "each shard skipped the other's symbols",
      );
      const expected = await barsOut([0, 1].map((i) => `${tmp.dir}/shard${i}.ndjson`));
      const perShard = await Promise.all(
        [0, 1].map(async (i) =>
          new Set(
            (await barsOut([`${tmp.dir}/shard${i}.ndjson`])).keys().map((k) => k.split("|")[0]),
          )
        ),
      );
      assert.equal(perShard[0].size + perShard[1].size, 8, "all 8 symbols, each in one shard");
      assert.ok([...perShard[0]].every((s) => !perShard[1].has(s)));
      for (const [i, set] of perShard.entries()) {
        for (const s of set) assert.equal(shardOf(s, 2), i);
      }
      await until(
        "every bar at both clients",
        () => a.seen.size >= expected.size && b.seen.size >= expected.size,
        45_000,
      )
        .catch((e) => {
          throw new Error(
            `${e.message}: expected ${expected.size}, a ${a.seen.size} (before kill ${before}), b ${b.seen.size}`,
          );
        });
      await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
      assertExactlyOnce("resuming client", a, expected);
      assertExactlyOnce("live client", b, expected);
      // anomalies are kept in the stream too: the resuming client got each once
      const flagged = new Set<string>();
      for (const i of [0, 1]) {
        for (
          const line of (await Deno.readTextFile(`${tmp.dir}/anomalies${i}.ndjson`)).split("\n")
        ) {
          if (!line) continue;
          const x = JSON.parse(line);
          flagged.add(`${x.symbol}|${x.seq}|${x.kind}`);
        }
      }
      assert.ok(flagged.size > 5, `only ${flagged.size} anomalies flagged`);
      await until("every anomaly", () => a.anomalies.size >= flagged.size, 10_000);
      assert.deepEqual([...a.anomalies.keys()].sort(), [...flagged].sort());
      assert.ok([...a.anomalies.values()].every((n) => n === 1), "an anomaly arrived twice");
      const st = await (await fetch(`${g2.url()}/v1/stats`)).json();
      console.log(
        `after the NATS node kill: gateway 2 restarted ${st.gateway.consumer_restarts} stalled ` +
          `consumers; shards retried ${
            sums.map((x) => (x.cluster as Record<string, number>).durable_retries).join(" and ")
          } publishes`,
      );
      // trades cross NATS too (core, not kept): shapes as on a standalone server
      assert.ok(b.trades.length > 100, `only ${b.trades.length} trades`);
      const published = sums.reduce(
        (n, x) => n + (x.cluster as Record<string, number>).trades_published,
        0,
      );
      assert.equal(published, sums.reduce((n, x) => n + (x.trades as number), 0));
      for (const t of b.trades.slice(0, 50)) {
        assert.ok(perShard[0].has(t.symbol as string) || perShard[1].has(t.symbol as string));
        assert.ok((t.price as number) > 0 && (t.size as number) > 0);
        assert.match(t.time as string, /^2026-01-02T00:00:\d\d(\.\d+)?Z$/);
      }
      // REST on a gateway answers from the stream: the history of one symbol
      const sym = [...perShard[0]][0];
      const rest = await (await fetch(`${g2.url()}/v1/bars?symbol=${sym}&window=1s&limit=10000`))
        .json();
      const want = [...expected.values()].filter((x) => x.symbol === sym).map((x) => x.start);
      assert.deepEqual(
        rest.bars.filter((x: { final: boolean }) => x.final).map((x: { start: string }) => x.start),
        want,
      );
    } finally {
      for (const c of clients) c.close();
      await Promise.all([g1, g2, g1b].filter((g) => g).map((g) => g!.stop()));
    }
  },
});

Deno.test({
  name: "a gateway with default flags leaves the stream settings a processor chose alone",
  ignore: noNats,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using nats = await startNats(1);
    const p = await tickwire([
      ...SYNTH,
      "--nats",
      nats.nats,
      "--count",
      "500",
      "--rate",
      "0",
      "--no-http",
      "--retention",
      "2h",
      "--stream-max-bytes",
      "64M",
    ]);
    assert.equal(p.code, 0, p.stderr);
    const before = await streamConfig(nats.nats);
    assert.equal(before.max_age, 2 * 3600 * 1e9);
    assert.equal(before.max_bytes, 64 << 20);
    const gw = startGateway(nats.nats); // default --retention 24h, --stream-max-bytes 1G
    try {
      await gw.ready;
      const after = await streamConfig(nats.nats);
      assert.equal(after.max_age, before.max_age, "the gateway changed max_age");
      assert.equal(after.max_bytes, before.max_bytes, "the gateway changed max_bytes");
      assert.equal(after.num_replicas, before.num_replicas);
    } finally {
      await gw.stop();
    }
  },
});

/** The TICKWIRE stream's configuration, read with a plain NATS client. */
async function streamConfig(url: string) {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info("TICKWIRE")).config;
  } finally {
    await nc.close();
  }
}
