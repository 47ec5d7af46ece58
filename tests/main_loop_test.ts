/**
 * The main thread keeps serving under a continuous feed: WebSocket
 * messages are written and REST requests answered while ticks keep
 * arriving, not only once the feed pauses (the event loop gets a turn
 * between passes over the event ring). The lag budget is off here, so the
 * main thread stays behind the feed the whole time, as it would with more
 * subscribers than it can serve.
 */
import assert from "node:assert/strict";
import { deno, lastJson, startUdpTickwire } from "./helpers.ts";

Deno.test("under a flat-out feed, trades reach a subscriber and REST answers while the feed still runs", async () => {
  const { bg, port } = startUdpTickwire([
    ...["--http", "127.0.0.1:0", "--no-anomaly", "--max-tick-lag", "3600000"],
  ]);
  try {
    await bg.ready;
    // enough subscribers to every trade that the main thread is always behind the feed
    let trades = 0, acked = 0;
    const sockets = await Promise.all(Array.from({ length: 20 }, async () => {
      const ws = new WebSocket(bg.url().replace(/^http/, "ws") + "/v1/stream");
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data as string);
        if (m.type === "ack") acked++;
        if (m.type === "trade") trades++;
      };
      await new Promise((r, j) => {
        ws.onopen = r;
        ws.onerror = j;
      });
      ws.send(JSON.stringify({ op: "subscribe", id: 1, channels: ["trades"], symbols: ["*"] }));
      return ws;
    }));
    while (acked < sockets.length) await new Promise((r) => setTimeout(r, 20));
    let feedDone = false;
    const feed = deno("src/tools/feed.ts", [
      ...["--to", `127.0.0.1:${port}`, "--rate", "0", "--count", "4000000", "--batch", "32"],
      "--quiet",
    ]).then((r) => {
      feedDone = true;
      return r;
    });
    // a REST request and some trades, each while the feed is still sending
    const t0 = Date.now();
    while (trades === 0 && !feedDone) await new Promise((r) => setTimeout(r, 10));
    const tradesWhileFeeding = feedDone ? 0 : trades;
    const health = await fetch(`${bg.url()}/v1/health`);
    const answeredWhileFeeding = !feedDone;
    assert.equal(health.status, 200);
    await health.body?.cancel();
    const r = await feed;
    assert.equal(r.code, 0);
    assert.ok(tradesWhileFeeding > 0, `no trade arrived during the ${Date.now() - t0} ms feed`);
    assert.ok(answeredWhileFeeding, "/v1/health was answered only after the feed ended");
    for (const ws of sockets) ws.close();
    const s = lastJson<{ ticks: number }>(await bg.stop());
    assert.ok(s.ticks > 0);
  } finally {
    await bg.stop();
  }
});
