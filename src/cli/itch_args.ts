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
import type { FeedName } from "./run_options.ts";

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
}

/** Checks the ITCH options; undefined for --protocol tickwire. */
export function parseItch(v: RawValues, feed: FeedName): ItchRunOptions | undefined {
  const s = (k: string) => v[k] as string | undefined;
  const protocol = oneOf("protocol", s("protocol"), PROTOCOLS, "tickwire");
  if (protocol === "tickwire") {
    const stray = ["mold-sequence", "itch-date", "max-orders", "bbo-out"].find((k) =>
      v[k] !== undefined
    );
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
  return {
    date,
    check:
      oneOf("mold-sequence", s("mold-sequence"), ["check", "off"] as const, "check") === "check",
    maxOrders: num("max-orders", s("max-orders"), 1_000_000, 1, 1 << 26),
    bboOut: s("bbo-out"),
  };
}
