import assert from "node:assert/strict";
import { deno, lastJson, lobsterFile, startUdpTickwire, tickwire } from "./helpers.ts";
import { encodeFrame } from "../src/wire/encode.ts";

type J = Record<string, number> & { feed_stats: Record<string, number> };

Deno.test("udp feed: what the publisher sends arrives, checksum equal", async () => {
  const { bg, port } = startUdpTickwire();
  await bg.ready;
  const sent = await deno("src/tools/feed.ts", [
    "--to",
    `127.0.0.1:${port}`,
    "--count",
    "60000",
    "--rate",
    "30000",
    "--seed",
    "6",
    "--quiet",
  ]);
  assert.equal(sent.code, 0, sent.stderr);
  const s = lastJson<J>(sent);
  await new Promise((r) => setTimeout(r, 300));
  const r = await bg.stop();
  assert.equal(r.code, 0, r.stderr);
  const got = lastJson<J>(r);
  assert.equal(got.ticks, s.ticks);
  assert.equal(got.checksum, s.checksum);
  assert.deepEqual([got.gaps, got.ring_drops, got.malformed], [0, 0, 0]);
  assert.equal(got.heartbeats, 3, "three end-of-session frames");
});

Deno.test("udp feed: a LOBSTER day published over UDP arrives in file order", async () => {
  const { bg, port } = startUdpTickwire();
  await bg.ready;
  const sent = lastJson<J>(
    await deno("src/tools/feed.ts", [
      "--source",
      "lobster",
      "--in",
      lobsterFile("GOOG"),
      "--symbol",
      "GOOG",
      "--date",
      "2012-06-21",
      "--to",
      `127.0.0.1:${port}`,
      "--rate",
      "50000",
      "--quiet",
    ]),
  );
  await new Promise((r) => setTimeout(r, 300));
  const got = lastJson<J>(await bg.stop());
  assert.equal(sent.ticks, 11678);
  assert.equal(got.trades, 11678);
  assert.equal(got.checksum, sent.checksum, "same ticks in the same order");
  assert.equal(got.gaps, 0);
});

Deno.test("udp feed: malformed datagrams are counted and skipped, good ones still decode", async () => {
  const { bg, port } = startUdpTickwire();
  await bg.ready;
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  const good = encodeFrame({
    session: 5,
    firstSeq: 1,
    ticks: [{ sec: 1, nsec: 2, symbol: "OK", kind: 1, price: 10, size: 1 }],
  });
  const bad: Uint8Array[] = [
    crypto.getRandomValues(new Uint8Array(200)), // random bytes
    good.subarray(0, good.length - 7), // truncated
    encodeFrame({ session: 5, firstSeq: 2, ticks: [], count: 1000 }), // length that lies
    new Uint8Array(1), // tiny
    new Uint8Array(9300), // larger than --max-record
  ];
  for (const b of bad) await sock.send(b, to);
  await sock.send(good, to);
  sock.close();
  await new Promise((r) => setTimeout(r, 300));
  const got = lastJson<J>(await bg.stop());
  assert.equal(got.ticks, 1);
  assert.equal(got.malformed_frames, 4);
  assert.equal(got.malformed_packets, 1, "the oversized datagram");
  assert.equal(got.malformed, 5);
});

Deno.test("udp feed: a port in use is a clear error with exit code 2", async () => {
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (sock.addr as Deno.NetAddr).port;
  try {
    const r = await tickwire(["--feed", "udp", "--listen", `127.0.0.1:${port}`, "--duration", "1"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot listen on 127\.0\.0\.1:\d+: Address already in use/);
    assert.equal(r.stdout, "");
  } finally {
    sock.close();
  }
});
