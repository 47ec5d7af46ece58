/**
 * A native feed thread (synthetic, UDP, pcap, DPDK or the test pattern)
 * producing into a ring. The handle is owned by the thread that started it.
 *
 * @example
 * ```ts
 * import { createRing } from "../ring/ring.ts";
 * import { NativeFeed } from "./feed.ts";
 * const ring = createRing(1 << 20, 4096);
 * const feed = NativeFeed.start("synth", ring, { count: 1000, rate: 0 });
 * // ... consume the ring ...
 * feed.stop();
 * ```
 * @module
 */
import { cString, fromCString, native } from "./lib.ts";
import { FeedState, Stat, STAT_COUNT } from "../ring/layout.ts";

export { FeedState, Stat, STAT_COUNT } from "../ring/layout.ts";

/** Snapshot of a feed's counters, by name. */
export type FeedStats = { -readonly [K in keyof typeof Stat]: number };

/** A feed could not start, or failed while running. */
export class FeedError extends Error {
  override name = "FeedError";
}

/** Feed kinds built into libtickwire. */
export type FeedKind = "pattern" | "synth" | "udp" | "pcap" | "dpdk";

/** Options passed as key=value lines (see ffi/src/feed_*.c). */
export type FeedOptions = Record<string, string | number | undefined>;

/** Handle of a running native feed thread. */
export class NativeFeed {
  private ptr: Deno.PointerValue;
  private readonly raw = new BigUint64Array(STAT_COUNT);

  private constructor(
    ptr: Deno.PointerValue,
    readonly kind: FeedKind,
    readonly ring: SharedArrayBuffer,
  ) {
    this.ptr = ptr;
  }

  /** Starts a feed; throws FeedError with the library's reason. */
  static start(
    kind: FeedKind,
    ring: SharedArrayBuffer,
    opts: FeedOptions = {},
  ): NativeFeed {
    const lines: string[] = [];
    for (const [k, v] of Object.entries(opts)) {
      if (v === undefined) continue;
      const s = String(v);
      if (s.includes("\n")) {
        throw new FeedError(`feed option ${k} contains a newline`);
      }
      lines.push(`${k}=${s}`);
    }
    const lib = native().symbols;
    const mem = new Uint8Array(ring);
    const p = lib.tw_feed_start(
      cString(kind),
      mem,
      BigInt(ring.byteLength),
      cString(lines.join("\n")),
    );
    if (p === null) {
      const buf = new Uint8Array(2048);
      lib.tw_last_error(buf, buf.length);
      throw new FeedError(fromCString(buf) || `cannot start the ${kind} feed`);
    }
    return new NativeFeed(p, kind, ring);
  }

  /** Current counters (allocates: for status and summaries). */
  stats(): FeedStats {
    if (this.ptr === null) throw new FeedError("feed already stopped");
    native().symbols.tw_feed_stats(this.ptr, this.raw, STAT_COUNT);
    return this.named();
  }

  private named(): FeedStats {
    const out = {} as FeedStats;
    for (const [name, i] of Object.entries(Stat)) {
      out[name as keyof FeedStats] = Number(this.raw[i]);
    }
    return out;
  }

  /** Thread state (FeedState). */
  state(): number {
    if (this.ptr === null) return FeedState.stopped;
    native().symbols.tw_feed_stats(this.ptr, this.raw, 1);
    return Number(this.raw[0]);
  }

  /** The error text of a failed feed ("" when none). */
  error(): string {
    if (this.ptr === null) return "";
    const buf = new Uint8Array(2048);
    native().symbols.tw_feed_error(this.ptr, buf, buf.length);
    return fromCString(buf);
  }

  /** Stops and joins the thread; returns the final counters. */
  stop(): FeedStats {
    if (this.ptr === null) throw new FeedError("feed already stopped");
    native().symbols.tw_feed_stop(this.ptr, this.raw, STAT_COUNT);
    this.ptr = null;
    return this.named();
  }

  /** True until stop(). */
  get alive(): boolean {
    return this.ptr !== null;
  }
}
