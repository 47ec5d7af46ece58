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
import type { FeedKind, FeedOptions } from "../native/feed.ts";

/** A native feed to start. */
export interface FeedConfig {
  kind: FeedKind;
  options: FeedOptions;
  /** The feed ends by itself (capture, counted synthetic run). */
  finite: boolean;
}

/** Chooses the native feed and its options. */
export function feedConfig(o: RunOptions): FeedConfig {
  const common: FeedOptions = {
    idle: o.idle,
    spins: o.spins,
    sleep_ns: o.sleepUs * 1000,
    policy: o.policy,
    cpu: o.cpus.rx,
  };
  switch (o.feed) {
    case "synth":
      return {
        kind: "synth",
        finite: o.count > 0,
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
        options: { ...common, listen: o.listen },
      };
    case "pcap":
      return {
        kind: "pcap",
        finite: true,
        options: { ...common, file: o.pcap, speed: o.speed, port: o.udpPort },
      };
    case "dpdk":
      return {
        kind: "dpdk",
        finite: o.exitOnEof,
        options: {
          ...common,
          eal: o.eal,
          port: o.udpPort,
          eof_idle_ms: o.exitOnEof ? o.eofIdleMs : 0,
        },
      };
  }
}
