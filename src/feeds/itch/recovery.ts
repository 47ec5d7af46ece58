/**
 * Filling MoldUDP64 gaps before giving up on them. Packets past a gap are
 * held (HeldPackets) while the missing messages are sought: from the other
 * line of an A/B pair (waiting up to `waitMs`), and from a re-request
 * server when one is configured (MoldUDP64 request packets: session,
 * first sequence number, count; at most `retries` tries per gap, one per
 * `timeoutMs`). Whatever arrives in sequence is applied in order; what is
 * still missing when the tries run out, or when the hold store fills, is
 * declared lost and the held packets are applied after it.
 *
 * @example
 * ```ts
 * import { GapFiller } from "./recovery.ts";
 * import { MoldSequencer } from "./mold.ts";
 * const mold = new MoldSequencer(true, true);
 * const f = new GapFiller(mold, { replay() {}, lost() {} }, { waitMs: 20 });
 * console.log(f.pending); // false
 * ```
 * @module
 */
import { HeldPackets } from "./held.ts";
import type { MoldSequencer } from "./mold.ts";
import { MOLD } from "./spec.ts";

/**
 * Where a packet comes from: line A or B, the re-request channel, or the
 * hold store (counted when it first arrived).
 */
export const Line = { A: 0, B: 1, recovery: 2, held: 3 } as const;

/** A datagram channel to a MoldUDP64 re-request server. */
export interface MoldChannel {
  /** sends one request packet (never blocks) */
  send(packet: Uint8Array): void;
  /** takes one waiting response into `into`; its length, 0 when none */
  receive(into: Uint8Array): number;
}

/** One MoldUDP64 packet at bytes[off..off+len), received at rx, from `line` (a Line). */
export type PacketHandler = (
  bytes: Uint8Array,
  off: number,
  len: number,
  rxLo: number,
  rxHi: number,
  line: number,
) => void;

/** What the filler drives. */
export interface FillTarget {
  /** runs a packet through sequencing and the books as if it had just arrived */
  replay: PacketHandler;
  /** messages first..last will not come (a reported gap) */
  lost(first: number, last: number): void;
}

/** How hard to try. */
export interface FillOptions {
  /** how long a gap waits (for the other line) before a re-request or giving up */
  waitMs: number;
  channel?: MoldChannel;
  /** requests per gap (default 3) */
  retries?: number;
  /** wait for a response before the next try (default 50 ms) */
  timeoutMs?: number;
  /** hold store: bytes and packets (default 16 MiB, 16,384) */
  holdBytes?: number;
  holdPackets?: number;
}

const MAX_REQUEST = 0xfffe;

/** The gap being filled, if any, and the packets held behind it. */
export class GapFiller {
  readonly held: HeldPackets;
  /** a gap is open */
  pending = false;
  /** messages asked for in re-requests (retries count again) */
  rerequested = 0;
  /** re-request packets sent */
  requests = 0;
  /** times the hold store filled and a gap was given up early */
  holdOverflows = 0;
  private readonly retries: number;
  private readonly timeoutMs: number;
  private readonly request = new Uint8Array(MOLD.request);
  private readonly rq = new DataView(this.request.buffer);
  private readonly inbox = new Uint8Array(65536);
  /** [opened, next action, tries, `next` at the last progress, highest seq announced] */
  private readonly t = new Float64Array(5);
  private draining = false;

  constructor(
    private readonly mold: MoldSequencer,
    private readonly target: FillTarget,
    private readonly o: FillOptions,
  ) {
    this.held = new HeldPackets(o.holdBytes ?? 16 << 20, o.holdPackets ?? 16384);
    this.retries = o.retries ?? 3;
    this.timeoutMs = o.timeoutMs ?? 50;
  }

  /**
   * A packet past the gap (the sequencer said `ahead`): kept until the gap
   * is filled. Heartbeats and end-of-session packets only announce how far
   * the sequence goes.
   */
  hold(bytes: Uint8Array, off: number, len: number, rxLo: number, rxHi: number): void {
    const seq = this.mold.seq, count = this.mold.count;
    const upto = count === MOLD.endOfSession ? seq : seq + count;
    if (upto > this.t[4]) this.t[4] = upto;
    this.open();
    if (count === 0 || count === MOLD.endOfSession || this.held.has(seq)) return;
    if (this.held.add(bytes, off, len, seq, rxLo, rxHi)) return;
    this.holdOverflows++;
    this.giveUp();
    this.target.replay(bytes, off, len, rxLo, rxHi, Line.held);
  }

  /** An end-of-session or heartbeat packet at `seq` while nothing is missing yet. */
  announce(seq: number): void {
    if (seq <= this.mold.next || this.mold.next === 0) return;
    if (seq > this.t[4]) this.t[4] = seq;
    this.open();
  }

  private open(): void {
    if (this.pending) return;
    this.pending = true;
    this.progressed();
  }

  /** Applies held packets that are now in sequence; closes the gap when nothing is missing. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    const h = this.held, mold = this.mold;
    for (let i = h.first(); i >= 0 && h.seq(i) <= mold.next; i = h.first()) {
      const off = h.off(i), len = h.len(i), lo = h.rxLo(i), hi = h.rxHi(i);
      h.remove(i); // before the replay: its bytes stay put until the next add
      this.target.replay(h.arena, off, len, lo, hi, Line.held);
    }
    this.draining = false;
    if (h.size === 0 && mold.next >= this.t[4]) this.pending = false;
    else if (mold.next > this.t[3]) this.progressed();
  }

  /** A gap opened, or something arrived: the wait and the tries start again for what is left. */
  private progressed(): void {
    const now = performance.now(), t = this.t;
    t[0] = now;
    t[1] = now + this.o.waitMs;
    t[2] = 0;
    t[3] = this.mold.next;
  }

  /** Checks for responses and deadlines (call often while `pending`). */
  poll(): void {
    if (!this.pending) return;
    const ch = this.o.channel;
    if (ch) {
      for (let n = ch.receive(this.inbox); n > 0; n = ch.receive(this.inbox)) {
        this.target.replay(this.inbox, 0, n, 0, 0, Line.recovery);
        this.drain();
        if (!this.pending) return;
      }
    }
    const now = performance.now();
    if (now < this.t[1]) return;
    if (ch && this.t[2] < this.retries) return this.ask(ch, now);
    this.giveUp();
  }

  /** Sends a request for the first missing range. */
  private ask(ch: MoldChannel, now: number): void {
    const next = this.mold.next, upto = this.missingUpto();
    const count = Math.min(upto - next, MAX_REQUEST);
    this.request.set(this.mold.sessionId);
    this.rq.setUint32(MOLD.seq, Math.floor(next / 4294967296));
    this.rq.setUint32(MOLD.seq + 4, next >>> 0);
    this.rq.setUint16(MOLD.count, count);
    ch.send(this.request);
    this.requests++;
    this.rerequested += count;
    this.t[2]++;
    this.t[1] = now + this.timeoutMs;
  }

  /** The first sequence number past the missing range. */
  private missingUpto(): number {
    const i = this.held.first();
    return i >= 0 ? this.held.seq(i) : this.t[4];
  }

  /** The missing range is lost; what was held behind it is applied. */
  private giveUp(): void {
    const first = this.mold.next, upto = this.missingUpto();
    if (this.mold.skipTo(upto) > 0) this.target.lost(first, upto - 1);
    this.pending = false;
    this.t[4] = Math.max(this.t[4], this.mold.next);
    this.drain();
    if (this.held.size > 0) {
      this.pending = true;
      this.progressed();
    }
  }

  /** End of input: waits out the tries for an open gap, then gives up what is left. */
  finish(): void {
    const wait = new Int32Array(new SharedArrayBuffer(4));
    for (let guard = 0; this.pending && guard < 1_000_000; guard++) {
      this.poll();
      if (this.pending) Atomics.wait(wait, 0, 0, 1);
    }
  }
}
