/**
 * Every option of `deno task run`, once, by --help section: its argument,
 * help text and where it applies (`feeds`, `processorOnly`, `needsNats`).
 * `args.ts` parses and validates with it; `table.ts` makes the tokenizer
 * and --help from it.
 *
 * @example
 * ```ts
 * import { OPTIONS } from "./run_options.ts";
 * console.log(OPTIONS.pcap.feeds); // [ "pcap" ]
 * ```
 * @module
 */
import type { OptionSpec } from "./table.ts";
import { ITCH_OPTIONS } from "./itch_args.ts";

/** Feeds selectable with --feed. */
export const FEEDS = ["synth", "udp", "pcap", "dpdk"] as const;
/** One of FEEDS. */
export type FeedName = typeof FEEDS[number];

/** An option of `deno task run` and where it applies. */
export interface RunOptionSpec extends OptionSpec {
  /** only with these feeds */
  feeds?: FeedName[];
  /** a processor's option: refused for gateways */
  processorOnly?: true;
  /** a stream option: needs --nats */
  needsNats?: true;
}

/** Flattens sections into one table (insertion order = --help order). */
function bySection(
  sections: Record<string, Record<string, Omit<RunOptionSpec, "section">>>,
): Record<string, RunOptionSpec> {
  const out: Record<string, RunOptionSpec> = {};
  for (const [section, opts] of Object.entries(sections)) {
    for (const [name, o] of Object.entries(opts)) out[name] = { ...o, section };
  }
  return out;
}

/** Every option of `deno task run`. */
export const OPTIONS: Record<string, RunOptionSpec> = bySection({
  ["Feed"]: {
    feed: { arg: "KIND", processorOnly: true, help: "synth (default) | udp | pcap | dpdk" },
    listen: {
      arg: "HOST:PORT",
      feeds: ["udp"],
      processorOnly: true,
      multiple: true,
      help: [
        "udp: address to receive on (default 127.0.0.1:5555);",
        "twice with --protocol itch: lines A and B, the first",
        "copy of each MoldUDP64 sequence number is applied",
      ].join("\n"),
    },
    pcap: {
      arg: "FILE",
      feeds: ["pcap"],
      processorOnly: true,
      help: "pcap: capture to replay (classic pcap, Ethernet)",
    },
    speed: {
      arg: "X",
      feeds: ["pcap"],
      help: "pcap: 0 = flat out (default), else recorded pace x X",
    },
    eal: {
      arg: '"ARGS"',
      feeds: ["dpdk"],
      processorOnly: true,
      help: [
        "dpdk: EAL arguments, e.g.",
        '"--no-huge --no-pci --no-shconf -m 512',
        ' --vdev=net_pcap0,rx_pcap=/tmp/amzn.pcap"',
      ].join("\n"),
    },
    "udp-port": {
      arg: "N",
      feeds: ["pcap", "dpdk"],
      help: [
        "pcap, dpdk: keep UDP datagrams for this destination",
        "port only (default 0 = all)",
      ].join("\n"),
    },
    "exit-on-eof": {
      help: [
        "stop when a capture ends (dpdk: when the port has",
        "delivered nothing for --eof-idle ms), drain, print",
        "the summary and exit 0",
      ].join("\n"),
    },
    "eof-idle": {
      arg: "MS",
      feeds: ["dpdk"],
      help: "dpdk: idle time that means end of capture (500)",
    },
  },
  ["Exchange protocol (Nasdaq TotalView-ITCH 5.0 over MoldUDP64)"]: ITCH_OPTIONS,
  ["Synthetic feed"]: {
    seed: {
      arg: "N",
      feeds: ["synth"],
      processorOnly: true,
      help: "random seed (1); same seed, same ticks",
    },
    symbols: { arg: "N", feeds: ["synth"], help: "number of symbols (8, max 4096)" },
    rate: {
      arg: "N",
      feeds: ["synth"],
      processorOnly: true,
      help: "ticks per second, paced (100000); 0 = flat out",
    },
    count: {
      arg: "N",
      feeds: ["synth"],
      processorOnly: true,
      help: "stop after N ticks (0 = endless)",
    },
    anomalies: {
      arg: "P",
      feeds: ["synth"],
      help: [
        "probability per tick of an injected, labelled",
        "anomaly (0 = none, e.g. 0.0001)",
      ].join("\n"),
    },
    start: {
      arg: "TIME",
      help: [
        "event time of the first tick, ISO-8601 UTC (default:",
        "now); the same --seed, --start and --rate give the",
        "same ticks",
      ].join("\n"),
    },
  },
  ["Bars"]: {
    windows: {
      arg: "LIST",
      help: [
        "tumbling windows per symbol, comma separated, each",
        "1ms .. 1d in ms/s/m/h/d (default 1s,1m)",
      ].join("\n"),
    },
    lateness: {
      arg: "DUR",
      help: [
        "allowed lateness in event time (0): a bar is final",
        "when the watermark passes its end plus this; late",
        "ticks within it revise the bar (revision number);",
        "later ones are counted and reported as late events",
      ].join("\n"),
    },
    "align-offset": {
      arg: "DUR",
      help: [
        "shift window alignment from the UTC epoch (0), e.g.",
        "13h30m so 1d bars start at a 9:30 EDT open",
      ].join("\n"),
    },
    fill: {
      arg: "MODE",
      help: [
        "empty windows: none (default) | prev (flat bars at",
        "the previous close, volume 0, flagged filled)",
      ].join("\n"),
    },
    "bars-out": {
      arg: "FILE",
      processorOnly: true,
      help: "write every final bar (and later revision) as NDJSON",
    },
    "idle-close": {
      arg: "DUR",
      help: [
        "quiet feeds: after DUR of wall time without ticks,",
        "let event time follow the wall clock so open bars",
        "still close (default off)",
      ].join("\n"),
    },
  },
  ["Anomalies"]: {
    "anomalies-out": {
      arg: "FILE",
      processorOnly: true,
      help: [
        "write every anomaly as NDJSON",
        '{"symbol","time","seq","score","kind",...}',
      ].join("\n"),
    },
    "no-anomaly": { help: "turn anomaly flagging off (rules and model)" },
    model: {
      arg: "FILE",
      processorOnly: true,
      help: [
        "ONNX anomaly model (default: the committed",
        "src/anomaly/model/anomaly.onnx, made by 'deno task",
        "train'); its anomaly.json gives the threshold",
      ].join("\n"),
    },
    "no-model": { help: "rules only, no model scoring" },
    "batch-max": { arg: "N", help: "most rows per inference call (1024)" },
    "batch-wait": { arg: "MS", help: "longest wait for a batch to fill (20)" },
  },
  ['Bad input (README "Bad input and faults")']: {
    "max-skew": {
      arg: "DUR",
      help: [
        "ticks more than DUR ahead of the latest event time",
        "(live feeds: of the wall clock too) are rejected as",
        "implausible_time (1h; 0 = no limit)",
      ].join("\n"),
    },
    "max-seq-jump": {
      arg: "N",
      help: [
        "a frame more than N sequence numbers ahead is held",
        "back until the next frame confirms it (1000000); with",
        "--protocol itch on a live feed, a MoldUDP64 packet more",
        "than N messages ahead is not applied unless the next",
        "one continues it",
      ].join("\n"),
    },
    "max-sessions": {
      arg: "N",
      help: "sessions tracked at once; past it the least recently\nseen is forgotten (256)",
    },
  },
  ["Ring and threads"]: {
    idle: {
      arg: "KIND",
      help: [
        "idle strategy of the feed thread and the consumer:",
        "sleep (default) | yield | spin (spin needs spare cores)",
      ].join("\n"),
    },
    spins: {
      arg: "N",
      help:
        "pipeline Worker: empty ring polls before yielding/\nparking (0: park at once, woken by the receive thread)",
    },
    "rx-spins": {
      arg: "N",
      help: [
        "receive thread: empty receive calls before sleeping (0;",
        "each is a syscall or a DPDK poll: spinning costs a core",
        "that a 2-vCPU machine needs for the rest)",
      ].join("\n"),
    },
    "sleep-us": {
      arg: "N",
      help: [
        "longest nap for sleep, microseconds (100); naps back",
        "off from 1 us up to it",
      ].join("\n"),
    },
    policy: {
      arg: "P",
      help:
        "full ring: drop (counted) | block (backoff); default\nblock for captures (pcap, dpdk --exit-on-eof), drop live",
    },
    "ring-size": { arg: "BYTES", help: "ring data bytes, power of two, K/M suffix (8M)" },
    "max-record": { arg: "BYTES", help: "largest datagram accepted (9216)" },
    "rx-cpu": { arg: "N", help: "pin the receive (feed) thread to CPU N" },
    "worker-cpu": { arg: "N", help: "pin the pipeline Worker's thread to CPU N" },
    "main-cpu": { arg: "N", help: "pin the main thread (server, sinks) to CPU N" },
    "rt-priority": {
      arg: "N",
      help:
        "real-time priority (SCHED_FIFO, 1-99) for the receive\nthread and the pipeline Worker: they run as soon as a\ntick arrives, ahead of every ordinary thread; needs root\nor CAP_SYS_NICE (off)",
    },
    "max-symbols": { arg: "N", help: "symbol capacity (4096); more is counted, not stored" },
  },
  ["Run"]: {
    duration: { arg: "S", help: "stop after S seconds (0 = until Ctrl-C or end)" },
    "status-interval": { arg: "S", help: "status line period in seconds (1; 0 = off)" },
    quiet: { help: "no status line" },
    "wire-latency": {
      help: [
        "also measure from each tick's event time (a publisher's",
        "`deno task feed --stamp-send`) to its bar update and to",
        "its WebSocket send (CLOCK_REALTIME): wire_latency_ns in",
        "the summary. Meaningless for replays of old event times",
      ].join("\n"),
    },
    http: {
      arg: "HOST:PORT",
      help: [
        "HTTP/WebSocket server address (127.0.0.1:8080); port",
        "0 picks a free one. Dashboard at /, REST under /v1,",
        "WebSocket /v1/stream, Prometheus /metrics. Runs that",
        "end by themselves (a capture, --exit-on-eof, --count,",
        "--duration) serve only when --http is given",
      ].join("\n"),
    },
    token: {
      arg: "TOKEN",
      help: [
        "require this bearer token (HTTP Authorization header,",
        'or a first {"op":"auth","token":...} on the socket);',
        "mandatory when binding to a non-loopback address;",
        "TICKWIRE_TOKEN in the environment keeps it out of ps",
      ].join("\n"),
    },
    cors: {
      arg: "ORIGIN",
      help: "let a web app from ORIGIN call the API (CORS; off by\ndefault; * = any origin)",
    },
    "slow-policy": {
      arg: "P",
      help: [
        "slow WebSocket clients: drop (default; bars and stats",
        "conflate, other messages dropped with a notice) |",
        "disconnect (close code 4009)",
      ].join("\n"),
    },
    "max-clients": {
      arg: "N",
      help: "WebSocket clients at once (1000); more are refused\nwith HTTP 503 before the upgrade",
    },
    "max-subscriptions": { arg: "N", help: "channel/symbol pairs per connection (1000)" },
    "max-tick-lag": {
      arg: "MS",
      help:
        "a server more than MS behind the feed for longer than\nMS skips trades and quotes until it caught up, counted\nper client (error 4012, server.lag_dropped) (50)",
    },
    "no-http": { help: "run without the HTTP/WebSocket server" },
    version: { help: "print the version and the library's build, and exit" },
    help: { short: "h", label: "-h, --help", help: "this text" },
  },
  ['Cluster (NATS JetStream; see README "Scaling out")']: {
    role: {
      arg: "ROLE",
      help: [
        "standalone (default) | processor (also publishes",
        "trades, bars and anomalies to NATS) | gateway (no",
        "feed: serves the HTTP/WebSocket API from NATS;",
        "--windows pre-declares windows, others are added",
        "as their bars arrive)",
      ].join("\n"),
    },
    nats: {
      arg: "URLS",
      help: [
        "NATS servers, comma separated, e.g.",
        "nats://10.0.0.1:4222,nats://10.0.0.2:4222; with no",
        "--role it means processor",
      ].join("\n"),
    },
    shard: {
      arg: "I/N",
      help: [
        "processor: keep only symbols whose FNV-1a hash",
        "mod N is I (other symbols are counted as foreign)",
      ].join("\n"),
    },
    stream: {
      arg: "NAME",
      needsNats: true,
      help: [
        "JetStream stream for final bars and anomalies",
        "(TICKWIRE); processors create it or update its",
        "limits, gateways only create it when missing",
      ].join("\n"),
    },
    retention: { arg: "DUR", needsNats: true, help: "stream keeps messages this long (24h)" },
    "stream-max-bytes": {
      arg: "B",
      needsNats: true,
      help: "stream size limit, K/M/G suffix (1G); oldest go first",
    },
    replicas: {
      arg: "N",
      needsNats: true,
      help: "stream replicas, 1..5 (1; use 3 on a 3-node cluster)",
    },
    "nats-timeout": {
      arg: "DUR",
      needsNats: true,
      help: [
        "give up starting when NATS does not answer (15s);",
        "once connected, reconnects are retried for ever",
      ].join("\n"),
    },
  },
});
