/**
 * The option table of `deno task feed` (one home: the tokenizer and
 * --help both come from it).
 *
 * @example
 * ```ts
 * import { FEED_OPTIONS } from "./feed_options.ts";
 * console.log("stamp-send" in FEED_OPTIONS); // true
 * ```
 * @module
 */
import type { OptionTable } from "../cli/table.ts";

/** Every flag of the publisher. */
export const FEED_OPTIONS: OptionTable = {
  source: { arg: "S", section: "Options", help: "synth (default) | lobster" },
  to: {
    arg: "HOST:PORT",
    multiple: true,
    section: "Options",
    help:
      "send UDP datagrams there (--protocol itch: twice for\nA/B lines, the same packets on both)",
  },
  protocol: {
    arg: "P",
    section: "Options",
    help: "tickwire (default) | itch: a --source lobster day as ITCH\n" +
      "5.0 over MoldUDP64 (--rate in messages/s; --drop-frame N,\nor A:N / B:N on one line)",
  },
  "pcap-out": {
    arg: "FILE",
    section: "Options",
    help: "write an Ethernet/IPv4/UDP capture instead",
  },
  rate: { arg: "N", section: "Options", help: "ticks per second (default 100000; 0 = flat out)" },
  count: {
    arg: "N",
    section: "Options",
    help: "synth: ticks to send (default 100000; 0 = until Ctrl-C)",
  },
  seed: { arg: "N", section: "Options", help: "synth: seed (1)" },
  symbols: { arg: "N", section: "Options", help: "synth: number of symbols (8)" },
  anomalies: {
    arg: "P",
    section: "Options",
    help: "synth: probability of an injected, labelled anomaly",
  },
  batch: {
    arg: "N",
    section: "Options",
    help: "ticks per frame (16; synth max 32, lobster max 200)",
  },
  in: { arg: "FILE", section: "Options", help: "lobster: message file" },
  symbol: { arg: "SYM", section: "Options", help: "lobster: symbol" },
  date: { arg: "DATE", section: "Options", help: "lobster: trading day YYYY-MM-DD" },
  "drop-frame": {
    arg: "N",
    multiple: true,
    section: "Options",
    help: "leave frame N (1-based) out, making a sequence gap\n(repeatable)",
  },
  "rerequest-listen": {
    arg: "HOST:PORT",
    section: "Options",
    help:
      "--protocol itch: answer MoldUDP64 re-requests here with\nthe packets sent (during the send and --linger after)",
  },
  linger: {
    arg: "MS",
    section: "Options",
    help: "--protocol itch: keep answering re-requests this long\nafter the last packet (2000)",
  },
  "udp-port": {
    arg: "N",
    section: "Options",
    help:
      "pcap-out: UDP destination port (5555)\n(with --to, three end-of-session frames follow the\n" +
      "data, so receivers can detect a loss at the very end)",
  },
  vlan: { arg: "ID", section: "Options", help: "pcap-out: add an 802.1Q tag" },
  format: {
    arg: "F",
    section: "Options",
    help: "flatbuffers (default) | json: the same ticks as one JSON\n" +
      'object per datagram ({"session","seq","ticks":[{"sym",\n' +
      '"sec","nsec","kind","price","size",...}]}), the input\nof the JSON baseline in bench/e2e.ts',
  },
  duration: { arg: "S", section: "Options", help: "stop after S seconds" },
  "stamp-send": {
    section: "Options",
    help: "event time = intended send time: frame k of a --rate N run\n" +
      "is sent at start + k's ticks / N and every tick in it is\n" +
      "stamped with that time (CLOCK_REALTIME, never the late actual\n" +
      "time, so a stalled publisher cannot hide queueing: coordinated\n" +
      "omission is counted); flat out: stamped just before sending.\n" +
      "For latency measurements (bench:e2e); needs --to",
  },
  quiet: { section: "Options", help: "no progress lines" },
  help: { short: "h", label: "-h, --help", section: "Options", help: "this text" },
};

/** The checked command line. */
export interface FeedArgs {
  source: "synth" | "lobster";
  to?: string;
  pcapOut?: string;
  rate: number;
  count: number;
  seed: number;
  symbols: number;
  anomalies: string;
  batch: number;
  lobster?: { file: string; symbol: string; date: string };
  drops: Set<number>;
  port: number;
  vlan?: number;
  json: boolean;
  duration: number;
  quiet: boolean;
  stampSend: boolean;
}
