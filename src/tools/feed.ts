/**
 * `deno task feed`: publishes tickwire frames over UDP to HOST:PORT, or
 * writes them to a pcap file, from the synthetic generator (the same C
 * generator as `--feed synth`) or from a LOBSTER file; at a target rate or
 * flat out. Progress on stderr, a JSON summary on stdout (frames, ticks,
 * checksum) so a receiver can be checked against what was sent.
 * @module
 */
import { helpText, num, oneOf, type RawValues, tokenize, UsageError } from "../cli/table.ts";
import { createRing, RingConsumer } from "../ring/ring.ts";
import { FeedError, FeedState, NativeFeed } from "../native/feed.ts";
import { NativeLibError } from "../native/lib.ts";
import { LobsterError, readLobster } from "../feeds/lobster.ts";
import { frameTicks, sessionId } from "../feeds/framing.ts";
import { encodeFrame } from "../wire/encode.ts";
import { pcapSink, udpSink } from "./feed_sinks.ts";
import { type ItchFeedArgs, publishItch } from "./feed_itch.ts";
import { FEED_OPTIONS as OPTIONS, type FeedArgs } from "./feed_options.ts";
import { Emitter } from "./feed_emitter.ts";

const HELP = helpText(
  OPTIONS,
  `Usage: deno task feed [options] (--to HOST:PORT | --pcap-out FILE)

Publishes tickwire frames over UDP, or writes them to a pcap capture.
`,
  "",
);

function parseFeedArgs(v: RawValues): FeedArgs {
  const s = (
    k: string,
  ) => (k === "to" ? (v.to as string[] | undefined)?.[0] : v[k] as string | undefined);
  if ((v.to as string[] | undefined)?.length === 2) {
    throw new UsageError("two --to (A/B lines) need --protocol itch");
  }
  const itchOnly = ["rerequest-listen", "linger"].find((k) => v[k] !== undefined);
  if (itchOnly !== undefined) throw new UsageError(`--${itchOnly} needs --protocol itch`);
  if ((v.to === undefined) === (v["pcap-out"] === undefined)) {
    throw new UsageError("give exactly one of --to HOST:PORT or --pcap-out FILE");
  }
  const source = oneOf("source", s("source"), ["synth", "lobster"] as const, "synth");
  const duration = Number(s("duration") ?? "0");
  if (!(duration >= 0)) throw new UsageError("--duration must be >= 0");
  let lobster: FeedArgs["lobster"];
  if (source === "lobster") {
    if (!v.in || !v.symbol || !v.date) {
      throw new UsageError("--source lobster needs --in, --symbol and --date");
    }
    lobster = { file: s("in")!, symbol: s("symbol")!, date: s("date")! };
  }
  const drops = (v["drop-frame"] as string[] | undefined) ?? [];
  if (v["stamp-send"] === true && v.to === undefined) {
    throw new UsageError("--stamp-send stamps the time a datagram is sent: it needs --to");
  }
  return {
    source,
    to: s("to"),
    pcapOut: s("pcap-out"),
    rate: num("rate", s("rate"), 100_000, 0, 1e9),
    count: num("count", s("count"), 100_000, 0, Number.MAX_SAFE_INTEGER),
    seed: num("seed", s("seed"), 1, 0, Number.MAX_SAFE_INTEGER),
    symbols: num("symbols", s("symbols"), 8, 1, 4096),
    anomalies: s("anomalies") ?? "0",
    batch: num("batch", s("batch"), 16, 1, source === "synth" ? 32 : 200),
    lobster,
    drops: new Set(drops.map((d) => num("drop-frame", d, 0, 1, 1e12))),
    port: num("udp-port", s("udp-port"), 5555, 1, 65535),
    vlan: v.vlan === undefined ? undefined : num("vlan", s("vlan"), 0, 0, 4095),
    json: oneOf("format", s("format"), ["flatbuffers", "json"] as const, "flatbuffers") === "json",
    duration,
    quiet: v.quiet === true,
    stampSend: v["stamp-send"] === true,
  };
}

/** The C generator, through a ring, paced by it. */
async function runSynth(a: FeedArgs, e: Emitter, stop: AbortSignal, t0: number): Promise<void> {
  const ring = createRing(1 << 22, 4096);
  const feed = NativeFeed.start("synth", ring, {
    seed: a.seed,
    symbols: a.symbols,
    anomalies: a.anomalies,
    rate: a.stampSend ? 0 : a.rate, // --stamp-send: paced here, by SendClock
    count: a.count,
    batch: a.batch,
    policy: "block",
  });
  const consumer = new RingConsumer(ring);
  if (a.stampSend) await preRoll(feed);
  // Copy each record out inside the handler: poll() hands the space back
  // to the producer as soon as it returns, and sending is async.
  const pending: Uint8Array[] = [];
  const grab = (b: Uint8Array, off: number, len: number) => {
    pending.push(b.slice(off, off + len));
  };
  try {
    while (!stop.aborted) {
      if (a.duration > 0 && performance.now() - t0 > a.duration * 1000) break;
      pending.length = 0;
      const n = consumer.poll(grab, 256);
      for (const c of pending.slice()) await e.emit(c, 0, c.length);
      if (n === 0) {
        if (feed.state() !== FeedState.running && consumer.drained()) break;
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  } finally {
    feed.stop();
  }
}

/**
 * --stamp-send: lets the generator fill the ring before the schedule starts
 * (at most 1 s), so that its start-up does not take the CPU from the first
 * frames' sends.
 */
async function preRoll(feed: NativeFeed): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (feed.state() !== FeedState.running || feed.stats().naps > 0) break; // full, or done
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A LOBSTER day's trades, framed and paced here. */
async function runLobster(a: FeedArgs, e: Emitter, stop: AbortSignal, t0: number): Promise<void> {
  const { file, symbol, date } = a.lobster!;
  const { trades } = await readLobster(file, symbol, date);
  let sent = 0;
  for (const f of frameTicks(trades, sessionId(symbol, date), a.batch)) {
    if (stop.aborted) break;
    if (a.duration > 0 && performance.now() - t0 > a.duration * 1000) break;
    if (a.rate > 0 && !a.stampSend) {
      const ahead = t0 + (sent / a.rate) * 1000 - performance.now();
      if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
    }
    const b = encodeFrame(f);
    await e.emit(b, 0, b.length);
    sent += f.ticks.length;
  }
}

async function publish(a: FeedArgs, stop: AbortSignal, t0: number): Promise<Emitter> {
  const sink = a.to !== undefined ? udpSink(a.to) : await pcapSink(a.pcapOut!, a.port, a.vlan);
  if (a.stampSend) await Emitter.warmUp(a);
  const e = new Emitter(a, sink);
  await (a.source === "synth" ? runSynth : runLobster)(a, e, stop, t0);
  await e.endOfSession();
  await sink.close();
  return e;
}

/** --protocol itch: its own, smaller set of options. */
function itchArgs(v: RawValues): ItchFeedArgs {
  const s = (k: string) => v[k] as string | undefined;
  if (v.protocol !== "itch") {
    throw new UsageError(`--protocol: tickwire or itch, got '${v.protocol}'`);
  }
  if (v.to === undefined) {
    throw new UsageError("--protocol itch sends over UDP: give --to HOST:PORT");
  }
  if (s("source") !== "lobster" || !v.in || !v.symbol || !v.date) {
    throw new UsageError(
      "--protocol itch needs --source lobster --in FILE --symbol SYM --date DATE",
    );
  }
  return {
    to: v.to as string[],
    file: s("in")!,
    symbol: s("symbol")!,
    date: s("date")!,
    rate: num("rate", s("rate"), 100_000, 0, 1e9),
    drops: (v["drop-frame"] as string[] | undefined) ?? [],
    quiet: v.quiet === true,
    rerequestListen: s("rerequest-listen"),
    lingerMs: num("linger", s("linger"), 2000, 0, 3_600_000),
  };
}

const USER_ERRORS = [
  UsageError,
  LobsterError,
  FeedError,
  Deno.errors.NotFound,
  Deno.errors.PermissionDenied,
  NativeLibError,
];

async function main(argv: string[]): Promise<number> {
  let v: RawValues;
  try {
    v = tokenize(argv, OPTIONS);
  } catch (e) {
    console.error(`feed: ${(e as Error).message}\nRun with --help for usage.`);
    return 2;
  }
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const t0 = performance.now();
  let e: Emitter;
  try {
    if (v.protocol !== undefined && v.protocol !== "tickwire") {
      console.log(JSON.stringify(await publishItch(itchArgs(v), ac.signal)));
      return 0;
    }
    e = await publish(parseFeedArgs(v), ac.signal, t0);
  } catch (err) {
    if (!USER_ERRORS.some((k) => err instanceof k)) throw err;
    console.error(`feed: ${(err as Error).message}`);
    return err instanceof NativeLibError ? 1 : 2; // as `deno task run`: 1 for the library
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({
    ...e.stats,
    checksum: e.checksum >>> 0,
    gaps: e.gaps,
    seconds: Number(secs.toFixed(3)),
    ticks_per_s: Math.round(e.stats.ticks / Math.max(secs, 1e-9)),
    ...e.sendLag(),
  }));
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
