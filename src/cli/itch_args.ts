/**
 * The ITCH part of the command line (`--protocol`, `--mold-sequence`,
 * `--itch-date`, `--max-orders`, `--bbo-out`), checked together.
 *
 * @example
 * ```ts
 * import { parseItch } from "./itch_args.ts";
 * console.log(parseItch({ protocol: "itch" }, "pcap")?.check); // true
 * ```
 * @module
 */
import { num, oneOf, type RawValues, UsageError } from "./table.ts";
import type { FeedName, RunOptionSpec } from "./run_options.ts";

/** The ITCH section of `deno task run --help` (one home: parsed below). */
export const ITCH_OPTIONS: Record<string, Omit<RunOptionSpec, "section">> = {
  protocol: {
    arg: "P",
    feeds: ["udp", "pcap", "dpdk"],
    processorOnly: true,
    help: "what the datagrams carry: tickwire (default) | itch",
  },
  "mold-sequence": {
    arg: "M",
    help: [
      "check (default): MoldUDP64 gaps and repeats are found",
      "and reported | off: apply every message in arrival",
      "order (captures whose headers were zeroed)",
    ].join("\n"),
  },
  "itch-date": {
    arg: "DATE",
    help: [
      "trading date YYYY-MM-DD of the ITCH times (ns since",
      "New York midnight; default: the capture's first",
      "packet date, or today for a live feed)",
    ].join("\n"),
  },
  "max-orders": {
    arg: "N",
    help: "live orders the book table holds (1000000); more are\ncounted as order_overflow",
  },
  rerequest: {
    arg: "HOST:PORT",
    help: [
      "MoldUDP64 re-request server: missing messages are asked",
      "for there and applied in order; what does not come is",
      "reported as a gap (books flagged stale)",
    ].join("\n"),
  },
  "rerequest-retries": {
    arg: "N",
    help: "requests per gap before it is given up (3)",
  },
  "rerequest-timeout": {
    arg: "MS",
    help: "wait for a response before asking again (50)",
  },
  "gap-wait": {
    arg: "MS",
    help: [
      "with two --listen lines: how long a gap waits for the",
      "other line before a re-request or giving up (20)",
    ].join("\n"),
  },
  "bbo-out": {
    arg: "FILE",
    processorOnly: true,
    help: [
      "write every change of best bid or offer as NDJSON",
      '{"symbol","time","bid","bid_size","ask","ask_size"}',
    ].join("\n"),
  },
};

/** Wire protocols a feed can carry. */
export const PROTOCOLS = ["tickwire", "itch"] as const;

/** ITCH settings of a run (present when --protocol itch). */
export interface ItchRunOptions {
  /** trading date YYYY-MM-DD; undefined = the capture's packet date, or today live */
  date?: string;
  /** MoldUDP64 sequence checking */
  check: boolean;
  maxOrders: number;
  bboOut?: string;
  /** lines of an A/B pair (two --listen) */
  lines: number;
  /** MoldUDP64 re-request server, HOST:PORT */
  rerequest?: string;
  retries: number;
  timeoutMs: number;
  /** how long a gap waits for the other line */
  waitMs: number;
}

const ITCH_ONLY = [
  "mold-sequence",
  "itch-date",
  "max-orders",
  "bbo-out",
  "rerequest",
  "rerequest-retries",
  "rerequest-timeout",
  "gap-wait",
];

/** Checks the ITCH options; undefined for --protocol tickwire. */
export function parseItch(v: RawValues, feed: FeedName): ItchRunOptions | undefined {
  const s = (k: string) => v[k] as string | undefined;
  const protocol = oneOf("protocol", s("protocol"), PROTOCOLS, "tickwire");
  if (protocol === "tickwire") {
    const stray = ITCH_ONLY.find((k) => v[k] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} needs --protocol itch`);
    return undefined;
  }
  if (feed === "synth") {
    throw new UsageError(
      "--protocol itch applies to --feed udp|pcap|dpdk (the synthetic feed makes tickwire frames)",
    );
  }
  const date = s("itch-date");
  if (date !== undefined) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    const ok = m !== null &&
      new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).toISOString().startsWith(date);
    if (!ok) {
      throw new UsageError(`--itch-date: expected a calendar date YYYY-MM-DD, got '${date}'`);
    }
  }
  const check =
    oneOf("mold-sequence", s("mold-sequence"), ["check", "off"] as const, "check") === "check";
  return {
    date,
    check,
    maxOrders: num("max-orders", s("max-orders"), 1_000_000, 1, 1 << 26),
    bboOut: s("bbo-out"),
    ...parseRecovery(v, check),
  };
}

/** Lines, re-requests and the gap wait. */
function parseRecovery(v: RawValues, check: boolean) {
  const s = (k: string) => v[k] as string | undefined;
  const lines = Array.isArray(v.listen) ? v.listen.length : 1;
  const rerequest = s("rerequest");
  // an address, not a name to look up: the Worker's socket is opened without DNS
  const ip = /^(\[[0-9a-fA-F:.]+\]|\d{1,3}(\.\d{1,3}){3}|localhost):(\d{1,5})$/.exec(
    rerequest ?? "",
  );
  const octets = ip?.[1].startsWith("[") ? [] : (ip?.[1].split(".") ?? []);
  const bad = ip === null || Number(ip[3]) > 65535 || octets.some((o) => Number(o) > 255);
  if (rerequest !== undefined && bad) {
    throw new UsageError(
      `--rerequest: expected IPv4:PORT, [IPv6]:PORT or localhost:PORT, got '${rerequest}'`,
    );
  }
  if (!check && (lines > 1 || rerequest !== undefined)) {
    throw new UsageError(
      `${lines > 1 ? "two --listen lines" : "--rerequest"} need --mold-sequence check`,
    );
  }
  return {
    lines,
    rerequest,
    retries: num("rerequest-retries", s("rerequest-retries"), 3, 0, 1000),
    timeoutMs: num("rerequest-timeout", s("rerequest-timeout"), 50, 1, 60_000),
    waitMs: num("gap-wait", s("gap-wait"), 20, 0, 60_000),
  };
}
