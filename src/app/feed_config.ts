/**
 * Maps the command line to a native feed: which kind, with which options.
 * Every feed writes the same frames into the same ring; the consumer does
 * not know which one is running.
 *
 * @example
 * ```ts
 * import { feedConfig } from "./feed_config.ts";
 * import { parseRunArgs } from "../cli/args.ts";
 * console.log(feedConfig(parseRunArgs(["--count", "10"])).kind); // synth
 * ```
 * @module
 */
import type { RunOptions } from "../cli/args.ts";
import type { FeedKind, FeedOptions, NativeFeed } from "../native/feed.ts";
import { itchDate } from "../feeds/itch/date.ts";

/** A native feed to start. */
export interface FeedConfig {
  kind: FeedKind;
  options: FeedOptions;
  /** The feed ends by itself (capture, counted synthetic run). */
  finite: boolean;
  /** How much there is to read, for the status line's position and ETA. */
  extent?: { ticks: number } | { file: string };
}

/** A live feed (udp, or dpdk without --exit-on-eof), as opposed to a capture replayed as recorded. */
export function liveFeed(o: RunOptions): boolean {
  return o.feed === "udp" || (o.feed === "dpdk" && !o.exitOnEof);
}

/**
 * --protocol itch: the ITCH stage's settings, the trading date resolved
 * (from the capture when none is given). A live feed's far sequence jump
 * waits for confirmation; a capture is replayed as recorded (sample
 * captures hold packets from far apart in a session).
 */
export function itchStageSettings(o: RunOptions, cfg: FeedConfig) {
  if (o.itch === undefined) return undefined;
  const { bboOut, check, maxOrders, lines, rerequest, retries, timeoutMs, waitMs } = o.itch;
  const capture = cfg.extent && "file" in cfg.extent ? cfg.extent.file : undefined;
  const fill = lines > 1 || rerequest !== undefined
    ? { waitMs: lines > 1 ? waitMs : 0, retries, timeoutMs }
    : undefined;
  const date = itchDate(o.itch.date, capture);
  const maxJump = liveFeed(o) ? o.maxSeqJump : Infinity;
  return { date, check, maxOrders, bboOut, lines, fill, rerequest, maxJump };
}

/** The capture a DPDK net_pcap device replays (`rx_pcap=FILE` in --eal), if any. */
function pcapOfEal(eal: string): string | undefined {
  return /rx_pcap=([^,\s]+)/.exec(eal)?.[1];
}

/** Chooses the native feed and its options. */
export function feedConfig(o: RunOptions): FeedConfig {
  const common: FeedOptions = {
    idle: o.idle,
    spins: o.rxSpins,
    sleep_ns: o.sleepUs * 1000,
    policy: o.policy,
    cpu: o.cpus.rx,
    rt_priority: o.rtPriority,
  };
  switch (o.feed) {
    case "synth":
      return {
        kind: "synth",
        finite: o.count > 0,
        extent: o.count > 0 ? { ticks: o.count } : undefined,
        options: {
          ...common,
          seed: o.seed,
          symbols: o.symbols,
          rate: o.rate,
          count: o.count,
          anomalies: o.anomalies,
          // ns since the epoch, as a decimal string (exceeds 2^53)
          start_ns: o.start ? `${o.start[0]}${String(o.start[1]).padStart(9, "0")}` : undefined,
        },
      };
    case "udp":
      return {
        kind: "udp",
        finite: false,
        options: { ...common, listen: o.listen, listen_b: o.listenB },
      };
    case "pcap":
      return {
        kind: "pcap",
        finite: true,
        extent: o.pcap ? { file: o.pcap } : undefined,
        options: { ...common, file: o.pcap, speed: o.speed, port: o.udpPort },
      };
    case "dpdk": {
      const file = pcapOfEal(o.eal ?? "");
      return {
        kind: "dpdk",
        finite: o.exitOnEof,
        extent: file ? { file } : undefined,
        options: {
          ...common,
          eal: o.eal,
          port: o.udpPort,
          eof_idle_ms: o.exitOnEof ? o.eofIdleMs : 0,
        },
      };
    }
  }
}

/**
 * How far a finite feed has got (0..1; undefined when unknown): ticks of a
 * counted synthetic run, or an estimate of the bytes read from a capture
 * (payload plus 58 bytes of pcap record and Ethernet/IPv4/UDP headers per
 * packet) over its size, read once into `cache`.
 */
export function feedPosition(
  cfg: FeedConfig,
  feed: NativeFeed,
  ticksSeen: number,
  cache: { captureBytes?: number },
): number | undefined {
  const e = cfg.extent;
  if (e === undefined) return undefined;
  if ("ticks" in e) return ticksSeen / e.ticks;
  const size = cache.captureBytes ??= fileSize(e.file);
  if (!size) return undefined;
  const fs = feed.stats();
  return Math.min(0.999, (fs.bytes + fs.packets * 58 + 24) / size);
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}
