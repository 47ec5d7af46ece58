/**
 * Command line of `deno task run`: the option table (every flag once: its
 * argument, help text, section and where it applies), from which `table.ts`
 * makes the tokenizer, --help and the applicability checks; then the value
 * checks and the checks across options. Usage errors throw UsageError;
 * main prints it and exits with code 2.
 *
 * @example
 * ```ts
 * import { parseRunArgs } from "./args.ts";
 * const o = parseRunArgs(["--feed", "synth", "--count", "1000"]);
 * console.log(o.feed, o.count); // synth 1000
 * ```
 * @module
 */
import { IDLE_KINDS, type IdleKind } from "../pipeline/idle.ts";
import { parseIsoNs } from "../time.ts";
import { MAX_DEPTH } from "../bars/options.ts";
import type { Shard } from "../pipeline/shard.ts";
import { parseCluster } from "./cluster_args.ts";
import { type ItchRunOptions, parseItch } from "./itch_args.ts";
import {
  bytes,
  duration,
  helpText,
  num,
  oneOf,
  type RawValues,
  tokenize,
  UsageError,
} from "./table.ts";

export { UsageError };

/** The committed anomaly model (kept here so parsing loads no model code). */
const DEFAULT_MODEL = new URL("../anomaly/model/anomaly.onnx", import.meta.url).pathname;

import { type FeedName, FEEDS, OPTIONS } from "./run_options.ts";

export { type FeedName, FEEDS, OPTIONS };

export { type Role, ROLES } from "./cluster_args.ts";
import type { Role } from "./cluster_args.ts";

/** Validated options of `deno task run`. */
export interface RunOptions {
  feed: FeedName;
  listen: string;
  /** the B line of an A/B pair (second --listen) */
  listenB?: string;
  pcap?: string;
  speed: number;
  eal?: string;
  udpPort: number;
  exitOnEof: boolean;
  eofIdleMs: number;
  seed: number;
  symbols: number;
  rate: number;
  count: number;
  anomalies: number;
  /** Event-time start, ns since the epoch as [seconds, nanoseconds]; undefined = now. */
  start?: [number, number];
  idle: IdleKind;
  /** the pipeline Worker's empty polls before it yields or parks (cheap loads) */
  spins: number;
  /** the receive thread's empty receive calls before it sleeps (each a syscall, or a DPDK poll) */
  rxSpins: number;
  sleepUs: number;
  policy: "drop" | "block";
  ringSize: number;
  maxRecord: number;
  maxSymbols: number;
  /** ticks further ahead than this (of the watermark; live feeds: of the wall clock) are rejected */
  maxSkewMs: number;
  maxSeqJump: number;
  maxSessions: number;
  /** CPUs the receive thread, the pipeline Worker and the main thread are pinned to */
  cpus: { rx?: number; worker?: number; main?: number };
  /** SCHED_FIFO priority of the receive thread and the Worker (--rt-priority); undefined: ordinary */
  rtPriority?: number;
  duration: number;
  statusInterval: number;
  windows: string[];
  windowsMs: number[];
  latenessMs: number;
  alignOffsetMs: number;
  fill: "none" | "prev";
  barsOut?: string;
  idleCloseMs: number;
  anomaliesOut?: string;
  anomaly: boolean;
  model?: string;
  batchMax: number;
  batchWaitMs: number;
  quiet: boolean;
  /** record event-time-to-bar and event-time-to-send latency (--wire-latency) */
  wireLatency: boolean;
  http: boolean;
  httpHost: string;
  httpPort: number;
  token?: string;
  slowPolicy: "drop" | "disconnect";
  maxSubscriptions: number;
  /** most WebSocket clients at once */
  maxClients: number;
  /** trades/quotes received longer ago than this are skipped by the server, ms (--max-tick-lag) */
  maxTickLagMs: number;
  /** the origin allowed to call the API from a browser (CORS), or undefined */
  cors?: string;
  /** standalone (default), processor (publishes to NATS) or gateway (serves from NATS) */
  role: Role;
  /** NATS server URLs (--nats, comma separated) */
  nats?: string[];
  /** this processor's partition of the symbols (--shard i/n) */
  shard?: Shard;
  /** JetStream stream of final bars and anomalies */
  stream: string;
  /** stream retention: age limit in ms */
  retentionMs: number;
  /** stream retention: size limit in bytes */
  streamMaxBytes: number;
  /** stream replicas (3 in a 3-node cluster) */
  replicas: number;
  /** how long the first NATS connection and the stream set-up may take */
  natsTimeoutMs: number;
  /** --protocol itch: the ITCH settings (undefined: tickwire frames) */
  itch?: ItchRunOptions;
  help: boolean;
  /** --version: print it and exit */
  version: boolean;
}

/** The --help text. */
export const HELP = helpText(
  OPTIONS,
  `tickwire - low-latency market-data ticker processor

Usage: deno task run [options]

With no options, runs the embedded synthetic feed through the C ring into
the TypeScript pipeline, prints a live status line on stderr until Ctrl-C,
then one JSON summary object on stdout.
`,
  `Exit codes: 0 ok, 1 runtime failure, 2 bad usage or a feed that cannot
start with the given settings (missing file, bad EAL arguments, port in use).`,
);

/** Parses --start (ISO-8601 UTC with up to 9 fractional digits, or "now"). */
export function parseStart(v: string | undefined): [number, number] | undefined {
  if (v === undefined || v === "now") return undefined;
  const t = parseIsoNs(v);
  if (!t || t[0] < 0) {
    throw new UsageError(
      `--start: expected an ISO-8601 UTC time like 2026-01-02T14:30:00Z, got '${v}'`,
    );
  }
  return t;
}

function parseBars(v: Record<string, string | undefined>) {
  const windows = (v.windows ?? "1s,1m").split(",").map((w) => w.trim());
  const windowsMs = windows.map((w) => duration("windows", w, 0));
  for (const [i, ms] of windowsMs.entries()) {
    if (ms < 1 || ms > 86_400_000) {
      throw new UsageError(`--windows: '${windows[i]}' must be from 1ms to 1d`);
    }
  }
  if (new Set(windowsMs).size !== windowsMs.length) {
    throw new UsageError("--windows: a window is given twice");
  }
  if (windows.length > 16) throw new UsageError("--windows: at most 16 windows");
  const latenessMs = duration("lateness", v.lateness, 0);
  const maxLate = (MAX_DEPTH - 1) * Math.min(...windowsMs);
  if (latenessMs > maxLate) {
    throw new UsageError(
      `--lateness: at most ${MAX_DEPTH - 1} times the smallest window (${maxLate} ms)`,
    );
  }
  return {
    windows,
    windowsMs,
    latenessMs,
    alignOffsetMs: duration("align-offset", v["align-offset"], 0),
    fill: oneOf("fill", v.fill, ["none", "prev"] as const, "none"),
    barsOut: v["bars-out"],
    anomaliesOut: v["anomalies-out"],
    anomaly: !v["no-anomaly"],
    model: v["no-model"] || v["no-anomaly"] ? undefined : (v.model ?? DEFAULT_MODEL),
    batchMax: num("batch-max", v["batch-max"], 1024, 1, 65536),
    batchWaitMs: num("batch-wait", v["batch-wait"], 20, 0, 10_000, false),
    idleCloseMs: duration("idle-close", v["idle-close"], 0),
  };
}

function parseHttp(v: RawValues) {
  const addr = (v.http as string | undefined) ?? "127.0.0.1:8080";
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(addr);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--http: expected HOST:PORT, got '${addr}'`);
  if (v.http !== undefined && v["no-http"]) {
    throw new UsageError("--http and --no-http contradict each other");
  }
  const host = m[1].replace(/^\[|\]$/g, "");
  const loopback = host === "localhost" || host === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  const token = (v.token as string | undefined) ?? (Deno.env.get("TICKWIRE_TOKEN") || undefined);
  if (token !== undefined && token.length < 8) {
    throw new UsageError("--token: use at least 8 characters");
  }
  if (!loopback && !v["no-http"] && token === undefined) {
    throw new UsageError(
      `--http ${addr} is not a loopback address: give --token TOKEN so clients must authenticate`,
    );
  }
  return {
    httpHost: host,
    httpPort: Number(m[2]),
    token,
    slowPolicy: oneOf(
      "slow-policy",
      v["slow-policy"] as string | undefined,
      ["drop", "disconnect"] as const,
      "drop",
    ),
    maxClients: num("max-clients", v["max-clients"] as string | undefined, 1000, 1, 1e6),
    maxTickLagMs: num("max-tick-lag", v["max-tick-lag"] as string | undefined, 50, 1, 3.6e6),
    cors: v.cors as string | undefined,
    maxSubscriptions: num(
      "max-subscriptions",
      v["max-subscriptions"] as string | undefined,
      1000,
      1,
      1e6,
    ),
  };
}

/** Where an option applies, from the table: feeds, roles, --nats. */
function checkPlaces(v: RawValues, feed: FeedName, role: Role): void {
  for (const [name, spec] of Object.entries(OPTIONS)) {
    if (v[name] === undefined) continue;
    if (spec.feeds && !spec.feeds.includes(feed)) {
      throw new UsageError(`--${name} applies to --feed ${spec.feeds.join("|")}, not ${feed}`);
    }
    if (spec.processorOnly && role === "gateway") {
      throw new UsageError(`--${name} applies to processors; a gateway reads from NATS`);
    }
    if (spec.needsNats && role === "standalone") throw new UsageError(`--${name} needs --nats`);
  }
}

function parseRing(s: (k: string) => string | undefined) {
  const ringSize = bytes("ring-size", s("ring-size"), 8 << 20);
  if (ringSize < 4096 || ringSize > 1 << 30 || (ringSize & (ringSize - 1)) !== 0) {
    throw new UsageError(
      `--ring-size: must be a power of two from 4K to 1G, got '${s("ring-size")}'`,
    );
  }
  const maxRecord = bytes("max-record", s("max-record"), 9216);
  if (maxRecord < 64 || maxRecord > Math.min(65536, ringSize / 4)) {
    throw new UsageError(`--max-record: must be 64..${Math.min(65536, ringSize / 4)} bytes`);
  }
  return {
    idle: oneOf("idle", s("idle"), IDLE_KINDS, "sleep"),
    spins: num("spins", s("spins"), 0, 0, 1e9),
    rxSpins: num("rx-spins", s("rx-spins"), 0, 0, 1e9),
    sleepUs: num("sleep-us", s("sleep-us"), 100, 1, 1e6),
    policy: oneOf("policy", s("policy"), ["drop", "block"] as const, "drop"), // see replayPolicy
    ringSize,
    maxRecord,
    maxSymbols: num("max-symbols", s("max-symbols"), 4096, 1, 1 << 20),
    maxSkewMs: duration("max-skew", s("max-skew"), 3_600_000),
    maxSeqJump: num("max-seq-jump", s("max-seq-jump"), 1_000_000, 1, Number.MAX_SAFE_INTEGER),
    maxSessions: num("max-sessions", s("max-sessions"), 256, 1, 65536),
    cpus: parseCpus(s),
    rtPriority: s("rt-priority") === undefined
      ? undefined
      : num("rt-priority", s("rt-priority"), 0, 1, 99),
  };
}

/** --rx-cpu, --worker-cpu, --main-cpu: CPUs this machine has. */
function parseCpus(s: (k: string) => string | undefined) {
  const last = navigator.hardwareConcurrency - 1;
  const cpu = (flag: string) =>
    s(flag) === undefined ? undefined : num(flag, s(flag), 0, 0, Math.max(0, last));
  return { rx: cpu("rx-cpu"), worker: cpu("worker-cpu"), main: cpu("main-cpu") };
}

function parseFeed(feed: FeedName, s: (k: string) => string | undefined, v: RawValues) {
  const listens = v.listen === undefined ? ["127.0.0.1:5555"] : [v.listen as string[]].flat();
  for (const listen of listens) {
    if (
      !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(listen) ||
      Number(listen.split(":").pop()) > 65535
    ) {
      throw new UsageError(`--listen: expected HOST:PORT, got '${listen}'`);
    }
  }
  if (listens.length > 2 || (listens.length === 2 && v.protocol !== "itch")) {
    throw new UsageError(
      "--listen: once, or twice with --protocol itch (lines A and B of a MoldUDP64 feed)",
    );
  }
  return {
    feed,
    listen: listens[0],
    listenB: listens[1],
    pcap: s("pcap"),
    speed: num("speed", s("speed"), 0, 0, 1e6, false),
    eal: s("eal"),
    udpPort: num("udp-port", s("udp-port"), 0, 0, 65535),
    exitOnEof: v["exit-on-eof"] === true,
    eofIdleMs: num("eof-idle", s("eof-idle"), 500, 1, 3_600_000),
    seed: num("seed", s("seed"), 1, 0, Number.MAX_SAFE_INTEGER),
    symbols: num("symbols", s("symbols"), 8, 1, 4096),
    rate: num("rate", s("rate"), 100_000, 0, 1e9),
    count: num("count", s("count"), 0, 0, Number.MAX_SAFE_INTEGER),
    anomalies: num("anomalies", s("anomalies"), 0, 0, 0.5, false),
    start: parseStart(s("start")),
  };
}

/**
 * A run that ends by itself (a capture, --exit-on-eof, --count,
 * --duration) is a batch job: it starts the server only when --http asks.
 * Endless runs and gateways serve by default (--no-http turns it off).
 */
function serverWanted(o: RunOptions, v: RawValues): boolean {
  if (v["no-http"] === true) return false;
  if (v.http !== undefined || o.role === "gateway") return true;
  return !(o.feed === "pcap" || o.exitOnEof || o.count > 0 || o.duration > 0);
}

/**
 * The default --policy: a file can wait, so replays from captures (pcap,
 * DPDK with --exit-on-eof) block instead of dropping; live sources drop.
 */
function replayPolicy(o: RunOptions): "drop" | "block" {
  return o.feed === "pcap" || (o.feed === "dpdk" && o.exitOnEof) ? "block" : "drop";
}

/** Checks that need the whole command line. */
function checkWhole(o: RunOptions): void {
  if (o.role === "gateway" && !o.http) {
    throw new UsageError("--role gateway serves HTTP: drop --no-http");
  }
  if (o.help || o.version) return;
  if (o.feed === "pcap" && !o.pcap) throw new UsageError("--feed pcap needs --pcap FILE");
  const stop = o.eal?.split(/\s+/).find((a) => /^(-h|--help|-v|--version)$/.test(a));
  if (stop !== undefined) {
    throw new UsageError(
      `--eal: '${stop}' makes DPDK print and exit instead of running; leave it out`,
    );
  }
  if (o.feed === "dpdk" && o.eal === undefined) {
    throw new UsageError(
      '--feed dpdk needs --eal "EAL ARGS" (e.g. "--no-huge --no-pci --no-shconf -m 512 --vdev=...")',
    );
  }
  if (o.pcap !== undefined) {
    try {
      if (!Deno.statSync(o.pcap).isFile) throw new Error();
    } catch {
      throw new UsageError(`--pcap: capture file not found: ${o.pcap}`);
    }
  }
}

/** Parses and validates; throws UsageError. */
export function parseRunArgs(argv: string[]): RunOptions {
  const v = tokenize(argv, OPTIONS);
  const s = (k: string) => v[k] as string | undefined;
  const feed = oneOf("feed", s("feed"), FEEDS, "synth");
  const cluster = parseCluster(v);
  checkPlaces(v, feed, cluster.role);
  const o: RunOptions = {
    ...parseFeed(feed, s, v),
    ...parseRing(s),
    duration: num("duration", s("duration"), 0, 0, 1e7, false),
    statusInterval: num("status-interval", s("status-interval"), 1, 0, 3600, false),
    ...parseBars(v as Record<string, string | undefined>),
    quiet: v.quiet === true,
    wireLatency: v["wire-latency"] === true,
    http: v["no-http"] !== true, // see serverWanted
    ...parseHttp(v),
    ...cluster,
    itch: parseItch(v, feed),
    help: v.help === true,
    version: v.version === true,
  };
  if (s("policy") === undefined) o.policy = replayPolicy(o);
  o.http = serverWanted(o, v);
  checkWhole(o);
  return o;
}
