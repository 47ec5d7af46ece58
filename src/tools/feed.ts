/**
 * `deno task feed`: publishes tickwire frames over UDP to HOST:PORT, or
 * writes them to a pcap file, from the synthetic generator (the same C
 * generator as `--feed synth`) or from a LOBSTER file; at a target rate or
 * flat out. Progress on stderr, a JSON summary on stdout (frames, ticks,
 * checksum) so a receiver can be checked against what was sent.
 * @module
 */
import { parseArgs } from "node:util";
import { joinOptionValues, valuedOptions } from "../cli/args.ts";
import { createRing, RingConsumer } from "../ring/ring.ts";
import { FeedError, FeedState, NativeFeed } from "../native/feed.ts";
import { LobsterError, readLobster } from "../feeds/lobster.ts";
import { frameTicks, sessionId } from "../feeds/framing.ts";
import { encodeFrame } from "../wire/encode.ts";
import {
  CHECKSUM_SEED,
  FrameReader,
  mixTick,
  symbolName,
  tickPrice,
  tickPrice2,
} from "../wire/frame.ts";
import { PcapWriter } from "../net/pcap.ts";

const HELP = `Usage: deno task feed [options] (--to HOST:PORT | --pcap-out FILE)

Publishes tickwire frames over UDP, or writes them to a pcap capture.

  --source S        synth (default) | lobster
  --to HOST:PORT    send UDP datagrams there
  --pcap-out FILE   write an Ethernet/IPv4/UDP capture instead
  --rate N          ticks per second (default 100000; 0 = flat out)
  --count N         synth: ticks to send (default 100000; 0 = until Ctrl-C)
  --seed N          synth: seed (1)
  --symbols N       synth: number of symbols (8)
  --anomalies P     synth: probability of an injected, labelled anomaly
  --batch N         ticks per frame (16; synth max 32, lobster max 200)
  --in FILE         lobster: message file
  --symbol SYM      lobster: symbol
  --date DATE       lobster: trading day YYYY-MM-DD
  --drop-frame N    leave frame N (1-based) out, making a sequence gap
                    (repeatable)
  --udp-port N      pcap-out: UDP destination port (5555)
                    (with --to, three end-of-session frames follow the
                    data, so receivers can detect a loss at the very end)
  --vlan ID         pcap-out: add an 802.1Q tag
  --format F        flatbuffers (default) | json: the same ticks as one JSON
                    object per datagram ({"session","seq","ticks":[{"sym",
                    "sec","nsec","kind","price","size",...}]}), the input
                    of the JSON baseline in bench/e2e.ts
  --duration S      stop after S seconds
  --quiet           no progress lines
  -h, --help        this text
`;

const OPTIONS = {
  source: { type: "string", default: "synth" },
  to: { type: "string" },
  "pcap-out": { type: "string" },
  rate: { type: "string", default: "100000" },
  count: { type: "string", default: "100000" },
  seed: { type: "string", default: "1" },
  symbols: { type: "string", default: "8" },
  anomalies: { type: "string", default: "0" },
  batch: { type: "string", default: "16" },
  in: { type: "string" },
  symbol: { type: "string" },
  date: { type: "string" },
  "drop-frame": { type: "string", multiple: true },
  "udp-port": { type: "string", default: "5555" },
  vlan: { type: "string" },
  format: { type: "string", default: "flatbuffers" },
  duration: { type: "string", default: "0" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

class Usage extends Error {}

function int(name: string, v: string, min: number, max: number): number {
  const x = Number(v);
  if (v.trim() === "" || !Number.isInteger(x) || x < min || x > max) {
    throw new Usage(`--${name}: expected a whole number from ${min} to ${max}, got '${v}'`);
  }
  return x;
}

/** Where frames go. */
interface Sink {
  send(frame: Uint8Array, sec: number, nsec: number): Promise<void>;
  close(): Promise<void>;
}

function udpSink(to: string): Sink {
  const m = /^(.+):(\d+)$/.exec(to);
  if (!m || Number(m[2]) > 65535) throw new Usage(`--to: expected HOST:PORT, got '${to}'`);
  const hostname = m[1].replace(/^\[|\]$/g, "");
  const addr = { transport: "udp" as const, hostname, port: Number(m[2]) };
  const sock = Deno.listenDatagram({
    transport: "udp",
    hostname: hostname.includes(":") ? "::" : "0.0.0.0",
    port: 0,
  });
  return {
    send: async (f) => {
      await sock.send(f, addr);
    },
    close: () => {
      sock.close();
      return Promise.resolve();
    },
  };
}

async function pcapSink(path: string, port: number, vlan?: number): Promise<Sink> {
  const w = await PcapWriter.create(path, { dstPort: port, vlan });
  return {
    send: (f, sec, nsec) => {
      w.write(f, sec, nsec);
      return w.flush(1 << 20);
    },
    close: () => w.close(),
  };
}

async function main(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: joinOptionValues(argv, valuedOptions(OPTIONS)),
      strict: true,
      options: OPTIONS,
    })
      .values;
  } catch (e) {
    console.error(`feed: ${(e as Error).message}\nRun with --help for usage.`);
    return 2;
  }
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  let sink: Sink;
  const stats = {
    frames: 0,
    ticks: 0,
    trades: 0,
    quotes: 0,
    bytes: 0,
    volume: 0,
    dropped_frames: 0,
  };
  const gaps: { first: number; last: number }[] = [];
  let checksum = CHECKSUM_SEED;
  const reader = new FrameReader();
  const ac = new AbortController();
  const stop = () => ac.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const t0 = performance.now();
  let lastProgress = t0;
  let lastSession: number | undefined, nextSeq = 1;
  try {
    if ((v.to === undefined) === (v["pcap-out"] === undefined)) {
      throw new Usage("give exactly one of --to HOST:PORT or --pcap-out FILE");
    }
    const rate = int("rate", v.rate, 0, 1e9);
    const duration = Number(v.duration);
    if (!(duration >= 0)) throw new Usage("--duration must be >= 0");
    const drops = new Set((v["drop-frame"] ?? []).map((d) => int("drop-frame", d, 1, 1e12)));
    const source = v.source;
    if (source !== "synth" && source !== "lobster") {
      throw new Usage("--source must be synth or lobster");
    }
    const batch = int("batch", v.batch, 1, source === "synth" ? 32 : 200);
    const port = int("udp-port", v["udp-port"], 1, 65535);
    const vlan = v.vlan === undefined ? undefined : int("vlan", v.vlan, 0, 4095);
    if (v.format !== "flatbuffers" && v.format !== "json") {
      throw new Usage("--format must be flatbuffers or json");
    }
    const asJson = v.format === "json";
    const enc = new TextEncoder();
    sink = v.to !== undefined ? udpSink(v.to) : await pcapSink(v["pcap-out"]!, port, vlan);

    const emit = async (bytes: Uint8Array, off: number, len: number) => {
      const n = reader.open(bytes, off, len);
      if (n < 0) throw new Error("internal: produced a malformed frame");
      lastSession = reader.session();
      nextSeq = reader.firstSeq() + n;
      const idx = stats.frames + stats.dropped_frames + 1;
      if (drops.has(idx)) {
        stats.dropped_frames++;
        if (n > 0) gaps.push({ first: reader.firstSeq(), last: reader.firstSeq() + n - 1 });
        return;
      }
      let sec = 0, nsec = 0;
      for (let i = 0; i < n; i++) {
        const t = reader.tick(i);
        if (i === 0) {
          sec = t.tsSec();
          nsec = t.tsNsec();
        }
        checksum = mixTick(checksum, t);
        if (t.kind() === 1) {
          stats.trades++;
          stats.volume += t.size();
        } else stats.quotes++;
      }
      stats.ticks += n;
      stats.frames++;
      if (asJson) {
        const ticks = [];
        for (let i = 0; i < n; i++) {
          const t = reader.tick(i);
          ticks.push({
            sym: symbolName(t.symbolLo(), t.symbolHi()),
            sec: t.tsSec(),
            nsec: t.tsNsec(),
            kind: t.kind() === 1 ? "trade" : "quote",
            price: tickPrice(t),
            size: t.size(),
            price2: tickPrice2(t),
            size2: t.size2(),
            exp: t.priceExp(),
          });
        }
        const text = enc.encode(
          JSON.stringify({ session: reader.session(), seq: reader.firstSeq(), ticks }),
        );
        stats.bytes += text.length;
        await sink.send(text, sec, nsec);
      } else {
        stats.bytes += len;
        await sink.send(bytes.subarray(off, off + len), sec, nsec);
      }
      const now = performance.now();
      if (!v.quiet && now - lastProgress > 1000) {
        lastProgress = now;
        console.error(`feed: ${stats.frames} frames, ${stats.ticks} ticks sent`);
      }
    };

    if (source === "synth") {
      const count = int("count", v.count, 0, Number.MAX_SAFE_INTEGER);
      const ring = createRing(1 << 22, 4096);
      const feed = NativeFeed.start("synth", ring, {
        seed: int("seed", v.seed, 0, Number.MAX_SAFE_INTEGER),
        symbols: int("symbols", v.symbols, 1, 4096),
        anomalies: v.anomalies,
        rate,
        count,
        batch,
        policy: "block",
      });
      const ring_ = new RingConsumer(ring);
      // Copy each record out inside the handler: poll() hands the space back
      // to the producer as soon as it returns, and sending is async.
      const pending: Uint8Array[] = [];
      const grab = (b: Uint8Array, off: number, len: number) => {
        pending.push(b.slice(off, off + len));
      };
      try {
        while (!ac.signal.aborted) {
          if (duration > 0 && performance.now() - t0 > duration * 1000) break;
          pending.length = 0;
          const n = ring_.poll(grab, 256);
          const copies = pending.slice();
          for (const c of copies) await emit(c, 0, c.length);
          if (n === 0) {
            if (feed.state() !== FeedState.running && ring_.drained()) break;
            await new Promise((r) => setTimeout(r, 1));
          }
        }
      } finally {
        feed.stop();
      }
    } else {
      if (!v.in || !v.symbol || !v.date) {
        throw new Usage("--source lobster needs --in, --symbol and --date");
      }
      const { trades } = await readLobster(v.in, v.symbol, v.date);
      let sent = 0;
      for (const f of frameTicks(trades, sessionId(v.symbol, v.date), batch)) {
        if (ac.signal.aborted) break;
        if (duration > 0 && performance.now() - t0 > duration * 1000) break;
        if (rate > 0) {
          const due = t0 + (sent / rate) * 1000;
          const ahead = due - performance.now();
          if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
        }
        const b = encodeFrame(f);
        await emit(b, 0, b.length);
        sent += f.ticks.length;
      }
    }
    // MoldUDP64-style end of session: a frame with no ticks that names the
    // next sequence number, so a receiver can see a gap at the very end.
    if (v.to !== undefined && lastSession !== undefined && !asJson) {
      const eos = encodeFrame({ session: lastSession, firstSeq: nextSeq, ticks: [], flags: 1 });
      for (let i = 0; i < 3; i++) {
        await sink.send(eos, 0, 0);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await sink.close();
  } catch (e) {
    if (e instanceof Usage || e instanceof LobsterError || e instanceof FeedError) {
      console.error(`feed: ${e.message}`);
      return 2;
    }
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      console.error(`feed: ${e.message}`);
      return 2;
    }
    throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({
    ...stats,
    checksum: checksum >>> 0,
    gaps,
    seconds: Number(secs.toFixed(3)),
    ticks_per_s: Math.round(stats.ticks / Math.max(secs, 1e-9)),
  }));
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
