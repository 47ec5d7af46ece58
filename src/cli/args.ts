/**
 * Command line of `deno task run`: parsing (node:util parseArgs, standing in
 * for @std/cli, which cannot be installed from JSR here), validation, help.
 * Usage errors throw UsageError; main prints it and exits with code 2.
 *
 * @example
 * ```ts
 * import { parseRunArgs } from "./args.ts";
 * const o = parseRunArgs(["--feed", "synth", "--count", "1000"]);
 * console.log(o.feed, o.count); // synth 1000
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { IDLE_KINDS, type IdleKind } from "../pipeline/idle.ts";
import { parseDuration } from "../time.ts";
import { MAX_DEPTH } from "../bars/aggregator.ts";
import { parseShard, type Shard } from "../pipeline/shard.ts";

/** The committed anomaly model (kept here so parsing loads no model code). */
const DEFAULT_MODEL = new URL("../anomaly/model/anomaly.onnx", import.meta.url).pathname;

/** Bad command line; exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Feeds selectable with --feed. */
export const FEEDS = ["synth", "udp", "pcap", "dpdk"] as const;
/** One of FEEDS. */
export type FeedName = typeof FEEDS[number];

/** Validated options of `deno task run`. */
export interface RunOptions {
  feed: FeedName;
  listen: string;
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
  spins: number;
  sleepUs: number;
  policy: "drop" | "block";
  ringSize: number;
  maxRecord: number;
  maxSymbols: number;
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
  http: boolean;
  httpHost: string;
  httpPort: number;
  token?: string;
  slowPolicy: "drop" | "disconnect";
  maxSubscriptions: number;
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
  help: boolean;
}

/** Process roles. */
export const ROLES = ["standalone", "processor", "gateway"] as const;
/** One of ROLES. */
export type Role = typeof ROLES[number];

/** The --help text. */
export const HELP = `tickwire - low-latency market-data ticker processor

Usage: deno task run [options]

With no options, runs the embedded synthetic feed through the C ring into
the TypeScript pipeline, prints a live status line on stderr until Ctrl-C,
then one JSON summary object on stdout.

Feed:
  --feed KIND          synth (default) | udp | pcap | dpdk
  --listen HOST:PORT   udp: address to receive on (default 127.0.0.1:5555)
  --pcap FILE          pcap: capture to replay (classic pcap, Ethernet)
  --speed X            pcap: 0 = flat out (default), else recorded pace x X
  --eal "ARGS"         dpdk: EAL arguments, e.g.
                       "--no-huge --no-pci --no-shconf -m 512
                        --vdev=net_pcap0,rx_pcap=/tmp/amzn.pcap"
  --udp-port N         pcap, dpdk: keep UDP datagrams for this destination
                       port only (default 0 = all)
  --exit-on-eof        stop when a capture ends (dpdk: when the port has
                       delivered nothing for --eof-idle ms), drain, print
                       the summary and exit 0
  --eof-idle MS        dpdk: idle time that means end of capture (500)

Synthetic feed:
  --seed N             random seed (1); same seed, same ticks
  --symbols N          number of symbols (8, max 4096)
  --rate N             ticks per second, paced (100000); 0 = flat out
  --count N            stop after N ticks (0 = endless)
  --anomalies P        probability per tick of an injected, labelled
                       anomaly (0 = none, e.g. 0.0001)
  --start TIME         event time of the first tick, ISO-8601 UTC (default:
                       now); the same --seed, --start and --rate give the
                       same ticks

Bars:
  --windows LIST       tumbling windows per symbol, comma separated, each
                       1ms .. 1d in ms/s/m/h/d (default 1s,1m)
  --lateness DUR       allowed lateness in event time (0): a bar is final
                       when the watermark passes its end plus this; late
                       ticks within it revise the bar (revision number);
                       later ones are counted and reported as late events
  --align-offset DUR   shift window alignment from the UTC epoch (0), e.g.
                       13h30m so 1d bars start at a 9:30 EDT open
  --fill MODE          empty windows: none (default) | prev (flat bars at
                       the previous close, volume 0, flagged filled)
  --bars-out FILE      write every final bar (and later revision) as NDJSON
  --idle-close DUR     quiet feeds: after DUR of wall time without ticks,
                       let event time follow the wall clock so open bars
                       still close (default off)

Anomalies:
  --anomalies-out FILE write every anomaly as NDJSON
                       {"symbol","time","seq","score","kind",...}
  --no-anomaly         turn anomaly flagging off (rules and model)
  --model FILE         ONNX anomaly model (default: the committed
                       src/anomaly/model/anomaly.onnx, made by 'deno task
                       train'); its anomaly.json gives the threshold
  --no-model           rules only, no model scoring
  --batch-max N        most rows per inference call (1024)
  --batch-wait MS      longest wait for a batch to fill (20)

Ring and threads:
  --idle KIND          idle strategy of the feed thread and the consumer:
                       sleep (default) | yield | spin (spin needs spare cores)
  --spins N            empty polls before yielding/sleeping (200)
  --sleep-us N         longest nap for sleep, microseconds (100); naps back
                       off from 1 us up to it
  --policy P           full ring: drop (default; counted) | block (backoff)
  --ring-size BYTES    ring data bytes, power of two, K/M suffix (8M)
  --max-record BYTES   largest datagram accepted (9216)
  --max-symbols N      symbol capacity (4096); more is counted, not stored

Run:
  --duration S         stop after S seconds (0 = until Ctrl-C or end)
  --status-interval S  status line period in seconds (1; 0 = off)
  --quiet              no status line
  --http HOST:PORT     HTTP/WebSocket server address (127.0.0.1:8080); port
                       0 picks a free one. Dashboard at /, REST under /v1,
                       WebSocket /v1/stream, Prometheus /metrics
  --token TOKEN        require this bearer token (HTTP Authorization header,
                       or a first {"op":"auth","token":...} on the socket);
                       mandatory when binding to a non-loopback address
  --slow-policy P      slow WebSocket clients: drop (default; bars and stats
                       conflate, other messages dropped with a notice) |
                       disconnect (close code 4009)
  --max-subscriptions N  channel/symbol pairs per connection (1000)
  --no-http            run without the HTTP/WebSocket server
  -h, --help           this text

Cluster (NATS JetStream; see README "Scaling out"):
  --role ROLE          standalone (default) | processor (also publishes
                       trades, bars and anomalies to NATS) | gateway (no
                       feed: serves the HTTP/WebSocket API from NATS;
                       --windows pre-declares windows, others are added
                       as their bars arrive)
  --nats URLS          NATS servers, comma separated, e.g.
                       nats://10.0.0.1:4222,nats://10.0.0.2:4222; with no
                       --role it means processor
  --shard I/N          processor: keep only symbols whose FNV-1a hash
                       mod N is I (other symbols are counted as foreign)
  --stream NAME        JetStream stream for final bars and anomalies
                       (TICKWIRE); processors create it or update its
                       limits, gateways only create it when missing
  --retention DUR      stream keeps messages this long (24h)
  --stream-max-bytes B stream size limit, K/M/G suffix (1G); oldest go first
  --replicas N         stream replicas, 1..5 (1; use 3 on a 3-node cluster)
  --nats-timeout DUR   give up starting when NATS does not answer (15s);
                       once connected, reconnects are retried for ever

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or a feed that cannot
start with the given settings (missing file, bad EAL arguments, port in use).
`;

function num(
  name: string,
  v: string | undefined,
  def: number,
  min: number,
  max: number,
  int = true,
): number {
  if (v === undefined) return def;
  const s = v.trim();
  const x = Number(s);
  if (
    s === "" || !Number.isFinite(x) || (int && !Number.isInteger(x)) ||
    x < min || x > max
  ) {
    throw new UsageError(
      `--${name}: expected ${
        int ? "a whole number" : "a number"
      } from ${min} to ${max}, got '${v}'`,
    );
  }
  return x;
}

function bytes(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const m = /^(\d+)([kKmMgG]?)$/.exec(v.trim());
  if (!m) {
    throw new UsageError(
      `--${name}: expected a size like 8M or 65536, got '${v}'`,
    );
  }
  const mult = {
    "": 1,
    k: 1024,
    m: 1 << 20,
    g: 1 << 30,
  }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
  return Number(m[1]) * mult;
}

function oneOf<T extends string>(
  name: string,
  v: string | undefined,
  allowed: readonly T[],
  def: T,
): T {
  if (v === undefined) return def;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(
      `--${name}: expected one of ${allowed.join(", ")}, got '${v}'`,
    );
  }
  return v as T;
}

const OPTIONS = {
  feed: { type: "string" },
  listen: { type: "string" },
  pcap: { type: "string" },
  speed: { type: "string" },
  eal: { type: "string" },
  "udp-port": { type: "string" },
  "exit-on-eof": { type: "boolean" },
  "eof-idle": { type: "string" },
  seed: { type: "string" },
  symbols: { type: "string" },
  rate: { type: "string" },
  count: { type: "string" },
  anomalies: { type: "string" },
  start: { type: "string" },
  idle: { type: "string" },
  spins: { type: "string" },
  "sleep-us": { type: "string" },
  policy: { type: "string" },
  "ring-size": { type: "string" },
  "max-record": { type: "string" },
  "max-symbols": { type: "string" },
  duration: { type: "string" },
  "status-interval": { type: "string" },
  windows: { type: "string" },
  lateness: { type: "string" },
  "align-offset": { type: "string" },
  fill: { type: "string" },
  "bars-out": { type: "string" },
  "idle-close": { type: "string" },
  "anomalies-out": { type: "string" },
  "no-anomaly": { type: "boolean" },
  model: { type: "string" },
  "no-model": { type: "boolean" },
  "batch-max": { type: "string" },
  "batch-wait": { type: "string" },
  quiet: { type: "boolean" },
  "no-http": { type: "boolean" },
  http: { type: "string" },
  token: { type: "string" },
  "slow-policy": { type: "string" },
  "max-subscriptions": { type: "string" },
  role: { type: "string" },
  nats: { type: "string" },
  shard: { type: "string" },
  stream: { type: "string" },
  retention: { type: "string" },
  "stream-max-bytes": { type: "string" },
  replicas: { type: "string" },
  "nats-timeout": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Joins `--opt value` into `--opt=value` for options that take a value, so
 * values that start with a dash (EAL arguments: `--eal "--no-huge ..."`)
 * are taken as values; node:util parseArgs refuses them otherwise.
 */
export function joinOptionValues(argv: string[], valued: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--") && !a.includes("=") && valued.has(a.slice(2)) && i + 1 < argv.length) {
      out.push(`${a}=${argv[++i]}`);
    } else out.push(a);
  }
  return out;
}

/** Names of the options that take a value. */
export function valuedOptions(opts: Record<string, { type: string }>): Set<string> {
  return new Set(Object.entries(opts).filter(([, d]) => d.type === "string").map(([k]) => k));
}

const VALUED = valuedOptions(OPTIONS);

/** Parses --start (ISO-8601 UTC with up to 9 fractional digits, or "now"). */
export function parseStart(v: string | undefined): [number, number] | undefined {
  if (v === undefined || v === "now") return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(v);
  const ms = m ? Date.parse(`${m[1]}Z`) : NaN;
  if (!m || Number.isNaN(ms) || ms < 0) {
    throw new UsageError(
      `--start: expected an ISO-8601 UTC time like 2026-01-02T14:30:00Z, got '${v}'`,
    );
  }
  return [ms / 1000, Number((m[2] ?? "").padEnd(9, "0"))];
}

function duration(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  try {
    return parseDuration(v);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`);
  }
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

/** A NATS server address: nats://host:port, host:port or host. */
const NATS_URL = /^(nats:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

function parseCluster(v: Record<string, string | boolean | undefined>) {
  const natsArg = v.nats as string | undefined;
  const role = oneOf(
    "role",
    v.role as string | undefined,
    ROLES,
    natsArg !== undefined ? "processor" : "standalone",
  );
  let nats: string[] | undefined;
  if (natsArg !== undefined) {
    nats = natsArg.split(",").map((u) => u.trim()).filter((u) => u !== "");
    const bad = nats.find((u) => !NATS_URL.test(u));
    if (nats.length === 0 || bad !== undefined) {
      throw new UsageError(
        `--nats: expected nats://HOST:PORT[,...], got '${bad ?? natsArg}'`,
      );
    }
  }
  if (role !== "standalone" && nats === undefined) {
    throw new UsageError(`--role ${role} needs --nats URLS`);
  }
  if (role === "standalone" && nats !== undefined) {
    throw new UsageError("--nats needs --role processor or --role gateway");
  }
  let shard: Shard | undefined;
  if (v.shard !== undefined) {
    if (role === "gateway") throw new UsageError("--shard applies to processors, not gateways");
    try {
      shard = parseShard(v.shard as string);
    } catch (e) {
      throw new UsageError(`--shard: ${(e as Error).message}`);
    }
  }
  const stream = (v.stream as string | undefined) ?? "TICKWIRE";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) {
    throw new UsageError(`--stream: letters, digits, _ and - only, got '${stream}'`);
  }
  if (role === "standalone") {
    for (const f of ["stream", "retention", "stream-max-bytes", "replicas", "nats-timeout"]) {
      if (v[f] !== undefined) throw new UsageError(`--${f} needs --nats`);
    }
  }
  const retentionMs = duration("retention", v.retention as string | undefined, 86_400_000);
  if (retentionMs < 1000) throw new UsageError("--retention: at least 1s");
  return {
    role,
    nats,
    shard,
    stream,
    retentionMs,
    streamMaxBytes: bytes("stream-max-bytes", v["stream-max-bytes"] as string | undefined, 1 << 30),
    replicas: num("replicas", v.replicas as string | undefined, 1, 1, 5),
    natsTimeoutMs: duration("nats-timeout", v["nats-timeout"] as string | undefined, 15_000),
  };
}

function parseHttp(v: Record<string, string | boolean | undefined>) {
  const addr = (v.http as string | undefined) ?? "127.0.0.1:8080";
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(addr);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--http: expected HOST:PORT, got '${addr}'`);
  if (v.http !== undefined && v["no-http"]) {
    throw new UsageError("--http and --no-http contradict each other");
  }
  const host = m[1].replace(/^\[|\]$/g, "");
  const loopback = host === "localhost" || host === "::1" || /^127\./.test(host);
  const token = v.token as string | undefined;
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
    maxSubscriptions: num(
      "max-subscriptions",
      v["max-subscriptions"] as string | undefined,
      1000,
      1,
      1e6,
    ),
  };
}

/** Parses and validates; throws UsageError. */
export function parseRunArgs(argv: string[]): RunOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: joinOptionValues(argv, VALUED),
      strict: true,
      allowPositionals: false,
      options: OPTIONS,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify.*$/s, ""));
  }
  const s = (k: string) => values[k] as string | undefined;
  const feed = oneOf("feed", s("feed"), FEEDS, "synth");
  const only = (flag: string, feeds: FeedName[]) => {
    if (values[flag] !== undefined && !feeds.includes(feed)) {
      throw new UsageError(
        `--${flag} applies to --feed ${feeds.join("|")}, not ${feed}`,
      );
    }
  };
  only("listen", ["udp"]);
  only("pcap", ["pcap"]);
  only("speed", ["pcap"]);
  only("eal", ["dpdk"]);
  only("udp-port", ["pcap", "dpdk"]);
  only("eof-idle", ["dpdk"]);
  for (const f of ["seed", "symbols", "rate", "count", "anomalies"]) {
    only(f, ["synth"]);
  }

  const ringSize = bytes("ring-size", s("ring-size"), 8 << 20);
  if (
    ringSize < 4096 || ringSize > 1 << 30 || (ringSize & (ringSize - 1)) !== 0
  ) {
    throw new UsageError(
      `--ring-size: must be a power of two from 4K to 1G, got '${s("ring-size")}'`,
    );
  }
  const maxRecord = bytes("max-record", s("max-record"), 9216);
  if (maxRecord < 64 || maxRecord > Math.min(65536, ringSize / 4)) {
    throw new UsageError(
      `--max-record: must be 64..${Math.min(65536, ringSize / 4)} bytes`,
    );
  }
  const listen = s("listen") ?? "127.0.0.1:5555";
  if (
    !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(listen) ||
    Number(listen.split(":").pop()) > 65535
  ) {
    throw new UsageError(`--listen: expected HOST:PORT, got '${listen}'`);
  }
  const o: RunOptions = {
    feed,
    listen,
    pcap: s("pcap"),
    speed: num("speed", s("speed"), 0, 0, 1e6, false),
    eal: s("eal"),
    udpPort: num("udp-port", s("udp-port"), 0, 0, 65535),
    exitOnEof: values["exit-on-eof"] === true,
    eofIdleMs: num("eof-idle", s("eof-idle"), 500, 1, 3_600_000),
    seed: num("seed", s("seed"), 1, 0, Number.MAX_SAFE_INTEGER),
    symbols: num("symbols", s("symbols"), 8, 1, 4096),
    rate: num("rate", s("rate"), 100_000, 0, 1e9),
    count: num("count", s("count"), 0, 0, Number.MAX_SAFE_INTEGER),
    anomalies: num("anomalies", s("anomalies"), 0, 0, 0.5, false),
    start: parseStart(s("start")),
    idle: oneOf("idle", s("idle"), IDLE_KINDS, "sleep"),
    spins: num("spins", s("spins"), 200, 0, 1e9),
    sleepUs: num("sleep-us", s("sleep-us"), 100, 1, 1e6),
    policy: oneOf("policy", s("policy"), ["drop", "block"] as const, "drop"),
    ringSize,
    maxRecord,
    maxSymbols: num("max-symbols", s("max-symbols"), 4096, 1, 1 << 20),
    duration: num("duration", s("duration"), 0, 0, 1e7, false),
    statusInterval: num(
      "status-interval",
      s("status-interval"),
      1,
      0,
      3600,
      false,
    ),
    ...parseBars(values as Record<string, string | undefined>),
    quiet: values.quiet === true,
    http: values["no-http"] !== true,
    ...parseHttp(values as Record<string, string | boolean | undefined>),
    ...parseCluster(values as Record<string, string | boolean | undefined>),
    help: values.help === true,
  };
  if (o.role === "gateway") {
    for (
      const f of [
        "feed",
        "listen",
        "pcap",
        "eal",
        "seed",
        "rate",
        "count",
        "bars-out",
        "anomalies-out",
        "model",
      ]
    ) {
      if (values[f] !== undefined) {
        throw new UsageError(`--${f} applies to processors; a gateway reads from NATS`);
      }
    }
    if (!o.http) throw new UsageError("--role gateway serves HTTP: drop --no-http");
  }
  if (o.help) return o;
  if (feed === "pcap" && !o.pcap) {
    throw new UsageError("--feed pcap needs --pcap FILE");
  }
  if (feed === "dpdk" && o.eal === undefined) {
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
  return o;
}
