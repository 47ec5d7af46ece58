/**
 * The publisher's per-frame work (`deno task feed`): counts and checksums
 * each frame's ticks, leaves out the frames `--drop-frame` names (as gaps),
 * paces and stamps them on the `--stamp-send` schedule, writes the JSON form
 * for `--format json`, and hands them to the sink; ends a session with
 * MoldUDP64-style end-of-session frames.
 *
 * @example
 * ```ts ignore
 * const e = new Emitter(args, udpSink("127.0.0.1:5555"));
 * await e.emit(frame, 0, frame.length);
 * await e.endOfSession();
 * ```
 * @module
 */
import { encodeFrame } from "../wire/encode.ts";
import {
  CHECKSUM_SEED,
  FrameReader,
  mixTick,
  symbolName,
  tickPrice,
  tickPrice2,
} from "../wire/frame.ts";
import type { Sink } from "./feed_sinks.ts";
import type { Percentiles } from "../pipeline/latency.ts";
import { SendClock } from "./send_clock.ts";
import type { FeedArgs } from "./feed_options.ts";
import { warmTicks } from "../pipeline/warmup.ts";

/** Frames the publisher's own code handles before a --stamp-send schedule starts (JIT warm-up). */
const WARM_FRAMES = 4000;

/** Counts, checksums and sends frames (or leaves them out with --drop-frame). */
export class Emitter {
  readonly stats = {
    frames: 0,
    ticks: 0,
    trades: 0,
    quotes: 0,
    bytes: 0,
    volume: 0,
    dropped_frames: 0,
  };
  readonly gaps: { first: number; last: number }[] = [];
  checksum = CHECKSUM_SEED;
  lastSession?: number;
  nextSeq = 1;
  private readonly reader = new FrameReader();
  private readonly enc = new TextEncoder();
  private lastProgress = performance.now();
  private readonly clock?: SendClock;

  constructor(private readonly a: FeedArgs, private readonly sink: Sink) {
    if (a.stampSend) this.clock = new SendClock(a.rate);
  }

  /**
   * Runs generated frames through the same code on a scratch emitter
   * (checksum, stamps, the JSON form; sent nowhere, not counted) so that
   * the first frames of a --stamp-send schedule are not late because the
   * publisher's own code was still cold: that would be the publisher's
   * lateness measured as the receiver's latency.
   */
  static async warmUp(a: FeedArgs): Promise<void> {
    const discard: Sink = { send: () => Promise.resolve(), close: () => Promise.resolve() };
    const scratch = new Emitter({ ...a, rate: 0, drops: new Set(), quiet: true }, discard);
    const frames = Array.from({ length: 16 }, (_, f) =>
      encodeFrame({
        session: 1,
        firstSeq: 1 + f * a.batch,
        ticks: warmTicks(1_700_000_000_000 + f, f, 8, a.batch),
      }));
    for (let k = 0; k < WARM_FRAMES; k++) {
      const b = frames[k % frames.length];
      await scratch.emit(b, 0, b.length);
    }
  }

  async emit(bytes: Uint8Array, off: number, len: number): Promise<void> {
    const r = this.reader, n = r.open(bytes, off, len);
    if (n < 0) throw new Error("internal: produced a malformed frame");
    this.lastSession = r.session();
    this.nextSeq = r.firstSeq() + n;
    if (this.a.drops.has(this.stats.frames + this.stats.dropped_frames + 1)) {
      this.stats.dropped_frames++;
      if (n > 0) this.gaps.push({ first: r.firstSeq(), last: r.firstSeq() + n - 1 });
      await this.clock?.wait(n); // a left-out frame keeps its place in the schedule
      return;
    }
    if (this.clock !== undefined) {
      await this.clock.wait(n);
      if (n > 0) this.clock.stamp(r.view, r.tick(0).bb_pos, n);
    }
    this.count(n);
    const sec = n > 0 ? r.tick(0).tsSec() : 0, nsec = n > 0 ? r.tick(0).tsNsec() : 0;
    const out = this.a.json ? this.enc.encode(this.json(n)) : bytes.subarray(off, off + len);
    this.stats.bytes += out.length;
    this.clock?.leaving();
    await this.sink.send(out, sec, nsec);
    this.progress();
  }

  private count(n: number): void {
    for (let i = 0; i < n; i++) {
      const t = this.reader.tick(i);
      this.checksum = mixTick(this.checksum, t);
      if (t.kind() === 1) {
        this.stats.trades++;
        this.stats.volume += t.size();
      } else this.stats.quotes++;
    }
    this.stats.ticks += n;
    this.stats.frames++;
  }

  /** --stamp-send with a rate: how late frames left against their due time (ns). */
  sendLag(): { send_lag_ns?: Percentiles } {
    return this.clock && this.a.rate > 0 ? { send_lag_ns: this.clock.lag.summary() } : {};
  }

  /** The frame as the JSON baseline's datagram. */
  private json(n: number): string {
    const r = this.reader, ticks = [];
    for (let i = 0; i < n; i++) {
      const t = r.tick(i);
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
    return JSON.stringify({ session: r.session(), seq: r.firstSeq(), ticks });
  }

  private progress(): void {
    const now = performance.now();
    if (this.a.quiet || now - this.lastProgress <= 1000) return;
    this.lastProgress = now;
    console.error(`feed: ${this.stats.frames} frames, ${this.stats.ticks} ticks sent`);
  }

  /**
   * MoldUDP64-style end of session: a frame with no ticks that names the
   * next sequence number, so a receiver can see a gap at the very end.
   */
  async endOfSession(): Promise<void> {
    if (this.lastSession === undefined || this.a.json || this.a.to === undefined) return;
    const eos = encodeFrame({
      session: this.lastSession,
      firstSeq: this.nextSeq,
      ticks: [],
      flags: 1,
    });
    for (let i = 0; i < 3; i++) {
      await this.sink.send(eos, 0, 0);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
