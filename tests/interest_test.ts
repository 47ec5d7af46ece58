/**
 * Per-symbol interest: a trade or quote nobody subscribed to never crosses
 * from the pipeline Worker to the main thread (the summary's `tick_events`
 * counts what did), while every subscribed one is delivered, including a
 * symbol subscribed to after the pipeline already knew it.
 */
import assert from "node:assert/strict";
import { deno, lastJson, startUdpTickwire, until, wsClient } from "./helpers.ts";

interface Msg {
  type: string;
  id?: number;
  symbol?: string;
}

async function client(url: string) {
  const c = await wsClient<Msg>(url);
  return { ...c, trades: () => c.got.filter((m) => m.type === "trade") };
}

/** Waits until `n()` has not changed for `quietMs`. */
async function settled(n: () => number, quietMs = 700): Promise<void> {
  let last = -1;
  while (n() !== last) {
    last = n();
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

Deno.test("per-symbol interest: only subscribed symbols' trades reach the main thread, every one delivered", async () => {
  const { bg, port } = startUdpTickwire(["--http", "127.0.0.1:0", "--no-anomaly"]);
  try {
    await bg.ready;
    const a = await client(bg.url());
    a.ws.send(JSON.stringify({ op: "subscribe", id: 1, channels: ["trades"], symbols: ["AAPL"] }));
    await until(() => a.got.some((m) => m.type === "ack" && m.id === 1), "AAPL ack");
    const feed = deno("src/tools/feed.ts", [
      ...["--to", `127.0.0.1:${port}`, "--rate", "20000", "--count", "60000"],
      ...["--symbols", "16", "--quiet"],
    ]);
    // MSFT is known to the pipeline (its byte says: nobody) before B subscribes
    await until(
      async () => {
        const r = await fetch(`${bg.url()}/v1/symbols`);
        return JSON.stringify(await r.json()).includes('"MSFT"');
      },
      "MSFT in /v1/symbols",
      20_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    const b = await client(bg.url());
    b.ws.send(JSON.stringify({ op: "subscribe", id: 2, channels: ["trades"], symbols: ["MSFT"] }));
    assert.equal((await feed).code, 0);
    await settled(() => a.trades().length + b.trades().length);
    a.ws.close();
    b.ws.close();
    const s = lastJson<{
      trades: number;
      trades_by_symbol: Record<string, number>;
      tick_events: number;
      tick_event_drops: number;
    }>(await bg.stop());
    const aGot = a.trades().length, bGot = b.trades().length;
    assert.ok(a.trades().every((m) => m.symbol === "AAPL"));
    assert.ok(b.trades().every((m) => m.symbol === "MSFT"));
    assert.equal(aGot, s.trades_by_symbol.AAPL, "every AAPL trade delivered");
    assert.ok(bGot > 0 && bGot < s.trades_by_symbol.MSFT, `MSFT from its subscription on: ${bGot}`);
    assert.equal(s.tick_event_drops, 0);
    // what crossed: the subscribed trades, plus each symbol's first few before its name was known
    assert.ok(s.tick_events >= aGot + bGot, JSON.stringify(s));
    assert.ok(s.tick_events - aGot - bGot < s.trades / 8, `${s.tick_events} of ${s.trades} trades`);
  } finally {
    await bg.stop();
  }
});
