/**
 * Order books served (--protocol itch): `GET /v1/book/:symbol?depth=N`,
 * the WebSocket `book` channel (a snapshot, then the top levels whenever
 * they change) and the dashboard's depth ladder in headless Chromium. A
 * LOBSTER day goes over UDP as ITCH; what is served must equal an
 * independent book built from the same rows (tests/lobster_book.ts).
 */
import assert from "node:assert/strict";
import { readLobsterRows } from "../src/feeds/lobster.ts";
import { type Level, ReferenceBook } from "./lobster_book.ts";
import {
  type Background,
  deno,
  freeUdpPort,
  hasChromium,
  launchChromium,
  lobsterFile,
  startTickwire,
  until,
  wsClient,
} from "./helpers.ts";

const DATE = "2012-06-21";

interface BookMsg {
  type: string;
  symbol: string;
  snapshot?: boolean;
  stale: boolean;
  bids: { price: number; size: number; orders: number }[];
  asks: { price: number; size: number; orders: number }[];
  code?: number;
}

/** The reference book of a whole LOBSTER day, as served levels. */
async function finalBook(sym: string, depth: number) {
  const rows = await readLobsterRows(lobsterFile(sym));
  const book = new ReferenceBook(rows);
  for (const r of rows) book.apply(r);
  const served = (l: Level) => ({ price: l[0] / 10_000, size: l[1], orders: l[2] });
  return { bids: book.depth(true, depth).map(served), asks: book.depth(false, depth).map(served) };
}

/** tickwire on a UDP port with the server on. */
async function itchServer(extra: string[] = []): Promise<{ tw: Background; port: number }> {
  const port = freeUdpPort();
  const tw = startTickwire([
    ...["--feed", "udp", "--listen", `127.0.0.1:${port}`, "--protocol", "itch"],
    ...["--itch-date", DATE, "--status-interval", "0", "--no-anomaly", ...extra],
  ]);
  await tw.ready;
  return { tw, port };
}

function sendDay(sym: string, port: number, rate: number, extra: string[] = []) {
  return deno("src/tools/feed.ts", [
    ...["--protocol", "itch", "--source", "lobster", "--in", lobsterFile(sym), "--symbol", sym],
    ...["--date", DATE, "--to", `127.0.0.1:${port}`, "--rate", String(rate), "--quiet", ...extra],
  ]);
}

Deno.test("book over REST and the WebSocket book channel equals an independent book", async () => {
  const { tw, port } = await itchServer();
  try {
    const url = tw.url();
    const { ws, got } = await wsClient<BookMsg>(url);
    ws.send(JSON.stringify({
      op: "subscribe",
      id: 1,
      channels: ["book"],
      symbols: ["GOOG"],
      depth: 5,
    }));
    await until(() => got.some((m) => m.type === "book"), "the snapshot");
    const first = got.find((m) => m.type === "book")!;
    assert.deepEqual([first.snapshot, first.bids, first.asks], [true, [], []], "no book yet");
    const sent = await sendDay("GOOG", port, 50_000);
    assert.equal(sent.code, 0, sent.stderr);
    const want5 = await finalBook("GOOG", 5);
    const books = () => got.filter((m) => m.type === "book");
    const last = () => books()[books().length - 1];
    await until(
      () => JSON.stringify([last().bids, last().asks]) === JSON.stringify([want5.bids, want5.asks]),
      "the final book on the channel",
    );
    const updates = books().filter((m) => m.snapshot === false);
    assert.ok(updates.length >= 5, `${updates.length} updates while the day was sent`);
    assert.ok(updates.every((m) => m.bids.length <= 5 && m.asks.length <= 5), "top 5 only");
    ws.close();

    const want10 = await finalBook("GOOG", 10);
    const r = await fetch(`${url}/v1/book/GOOG?depth=10`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { symbol: "GOOG", stale: false, ...want10 });
    const dflt = await (await fetch(`${url}/v1/book/GOOG`)).json();
    assert.equal(dflt.bids.length, Math.min(10, want10.bids.length), "depth 10 by default");
    const bad: [string, number, string][] = [
      ["/v1/book/MSFT", 404, "unknown_symbol"],
      ["/v1/book/GOOG?depth=0", 400, "bad_parameter"],
      ["/v1/book/GOOG?depth=51", 400, "bad_parameter"],
    ];
    for (const [path, status, code] of bad) {
      const res = await fetch(url + path);
      assert.equal(res.status, status, path);
      assert.equal((await res.json()).code, code, path);
    }
    const c2 = await wsClient<BookMsg>(url);
    c2.ws.send(JSON.stringify({ op: "subscribe", id: 7, channels: ["book"], symbols: ["*"] }));
    await until(() => c2.got.some((m) => m.type === "error"), "an error");
    assert.equal(c2.got.find((m) => m.type === "error")!.code, 4004);
    c2.ws.close();
  } finally {
    const out = await tw.stop();
    assert.equal(out.code, 0, out.stderr);
  }
});

Deno.test("book after a lost packet (no re-request server): served with stale: true", async () => {
  const { tw, port } = await itchServer();
  try {
    const sent = await sendDay("GOOG", port, 200_000, ["--drop-frame", "40"]);
    assert.equal(sent.code, 0, sent.stderr);
    await new Promise((r) => setTimeout(r, 300));
    const b = await (await fetch(`${tw.url()}/v1/book/GOOG?depth=1`)).json();
    assert.equal(b.stale, true);
    assert.equal(b.bids.length, 1);
  } finally {
    await tw.stop();
  }
});

Deno.test("without --protocol itch: no books, clearly", async () => {
  const tw = startTickwire(["--rate", "1000", "--status-interval", "0", "--no-anomaly"]);
  try {
    await tw.ready;
    const r = await fetch(`${tw.url()}/v1/book/SYM0`);
    assert.equal(r.status, 404);
    assert.equal((await r.json()).code, "no_books");
    const { ws, got } = await wsClient<BookMsg>(tw.url());
    ws.send(JSON.stringify({ op: "subscribe", id: 4, channels: ["book"], symbols: ["SYM0"] }));
    await until(() => got.some((m) => m.type === "error"), "an error");
    assert.equal(got.find((m) => m.type === "error")!.code, 4003);
    ws.close();
  } finally {
    await tw.stop();
  }
});

Deno.test({
  name: "dashboard in headless Chromium: the depth ladder shows the book's levels",
  ignore: !hasChromium(),
  async fn() {
    const { tw, port } = await itchServer();
    const browser = await launchChromium();
    try {
      const sent = await sendDay("GOOG", port, 200_000);
      assert.equal(sent.code, 0, sent.stderr);
      const want = await finalBook("GOOG", 10);
      const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
      const errors: string[] = [];
      page.on("pageerror", (e: unknown) => errors.push(String(e)));
      await page.goto(tw.url() + "/");
      const rows = want.bids.length + want.asks.length;
      await page.waitForFunction(
        `document.querySelectorAll("#ladder tbody tr").length === ${rows}`,
        null,
        { timeout: 15_000 },
      );
      // asks from the highest down to the best, then bids from the best down
      const cells = JSON.parse(
        String(
          await page.evaluate(`JSON.stringify([...document.querySelectorAll("#ladder tbody tr")]
          .map((tr) => [tr.className.split(" ")[0], ...[...tr.cells].map((td) => td.textContent)]))`),
        ),
      ) as string[][];
      const ours = cells.map(([side, orders, size, price]) => [side, +orders, +size, +price]);
      const theirs = [
        ...[...want.asks].reverse().map((l) => ["ask", l.orders, l.size, l.price]),
        ...want.bids.map((l) => ["bid", l.orders, l.size, l.price]),
      ];
      assert.deepEqual(ours, theirs);
      const shot = await Deno.makeTempFile({ prefix: "tickwire-ladder-", suffix: ".png" });
      await page.screenshot({ path: shot });
      console.log(`depth ladder screenshot: ${shot}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await tw.stop();
    }
  },
});

/** The side API both level stores share. */
interface Side {
  add(price: number, shares: number): boolean;
  remove(price: number, shares: number, gone: boolean): number;
  bestPrice(): number;
  eachTop(depth: number, fn: (price: number, shares: number, orders: number) => void): number;
  readonly live: number;
}

/**
 * A million random adds and removes on a side, checked against a Map of
 * levels: the BBO-change result of every call, and the top 20 levels, the
 * best price and the level count every 9,973 operations. `price(op, rand)`
 * makes the price of an add.
 */
async function checkSide(
  make: (sign: number) => Side,
  price: (op: number, rand: (n: number) => number) => number,
): Promise<Side[]> {
  const { Change } = await import("../src/feeds/itch/book.ts");
  let seed = 7;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const sides: Side[] = [];
  for (const sign of [1, -1]) {
    const side = make(sign), ref = new Map<number, [number, number]>();
    const live: [number, number][] = []; // open orders: price, shares
    for (let op = 0; op < 1_000_000; op++) {
      if (live.length === 0 || rand(100) < 52) {
        const p = price(op, rand), shares = 1 + rand(500);
        const before = side.bestPrice();
        // true exactly when the best bid/offer changes: at or better than the best
        assert.equal(side.add(p, shares), before < 0 || sign * (p - before) >= 0, `op ${op}`);
        live.push([p, shares]);
        const v = ref.get(p) ?? [0, 0];
        ref.set(p, [v[0] + shares, v[1] + 1]);
      } else {
        const k = rand(live.length), [p, shares] = live[k];
        live[k] = live[live.length - 1];
        live.pop();
        const atBest = side.bestPrice() === p;
        assert.equal(side.remove(p, shares, true), atBest ? Change.best : Change.none, `op ${op}`);
        const v = ref.get(p)!;
        if (v[1] === 1) ref.delete(p);
        else ref.set(p, [v[0] - shares, v[1] - 1]);
      }
      if (op % 9973 === 0 || op === 999_999) {
        const want = [...ref].sort((a, b) => sign * (b[0] - a[0])).slice(0, 20)
          .map(([p, [s, o]]) => [p, s, o]);
        const got: number[][] = [];
        side.eachTop(20, (p, s, o) => got.push([p, s, o]));
        assert.deepEqual(got, want, `op ${op}`);
        assert.equal(side.bestPrice(), want[0]?.[0] ?? -1);
        assert.equal(side.live, ref.size);
      }
    }
    sides.push(side);
  }
  return sides;
}

Deno.test("sorted levels: a million random adds and removes agree with a Map of levels", async () => {
  const { SortedLevels } = await import("../src/feeds/itch/levels.ts");
  // prices drift so new ones keep coming and old slots empty (compaction runs)
  const sides = await checkSide(
    (sign) => new SortedLevels(sign),
    (op, rand) => 10_000 + Math.floor(op / 2000) * 100 + rand(60) * 100,
  );
  for (const s of sides as InstanceType<typeof SortedLevels>[]) {
    assert.ok(s.n < 4 * Math.max(s.live, 64) + 256, "emptied slots are compacted");
  }
});

Deno.test("book side: a million random adds and removes agree with a Map of levels", async () => {
  const { BookSide } = await import("../src/feeds/itch/book.ts");
  // whole cents drifting over $50 (the window moves, then its far side goes
  // to the fallback), 3 % sub-penny prices and 2 % up to $800 away: every
  // add and remove crosses between the window and the fallback somewhere
  await checkSide((sign) => new BookSide(sign), (op, rand) => {
    const cents = 100_000 + Math.floor(op / 200) * 2 + rand(60), r = rand(100);
    if (r < 3) return cents * 100 + 1 + rand(99);
    if (r < 5) return (cents + 20_000 - rand(80_000)) * 100;
    return cents * 100;
  });
});

Deno.test("book side: the window grows with the levels, not with the span of prices a feed sends", async () => {
  const { BookSide } = await import("../src/feeds/itch/book.ts");
  const side = new BookSide(1);
  side.add(1_000_000, 100); // $100.00
  side.add(600_000, 100); // $60.00: 4,000 cents away, two levels
  assert.equal(side.slots, 64, "two levels keep the first window; the far one is in the fallback");
  assert.deepEqual([side.bestPrice(), side.live], [1_000_000, 2]);
  // a real book: 1,000 levels a cent apart around $100 get a window that holds them all
  for (let c = 0; c < 1000; c++) side.add(1_000_000 - c * 100, 10);
  assert.ok(side.slots >= 1024 && side.slots <= 4096, `${side.slots} slots`);
  assert.equal(side.live, 1001);
  const top: number[] = [];
  side.eachTop(3, (p) => top.push(p));
  assert.deepEqual(top, [1_000_000, 999_900, 999_800]);
});
