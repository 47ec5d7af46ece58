/**
 * MoldUDP64 sequencing of one downstream session: which messages of a
 * packet are new, which were seen, and which never came (gaps). Sequence
 * numbers are exact up to 2^53 and live in a typed array, so nothing is
 * boxed per packet. With `check` off (captures whose headers were zeroed)
 * every message is applied in arrival order.
 *
 * @example
 * ```ts
 * import { MoldResult, MoldSequencer } from "./mold.ts";
 * import { moldPacket } from "./encode.ts";
 * const s = new MoldSequencer(true), view = (b: Uint8Array) => new DataView(b.buffer);
 * s.onPacket(view(moldPacket("S", 1, [new Uint8Array(1), new Uint8Array(1)])), 0);
 * console.log(s.onPacket(view(moldPacket("S", 5, [new Uint8Array(1)])), 0) === MoldResult.gap);
 * console.log(s.gapFirst, s.gapLast); // 3 4
 * ```
 * @module
 */
import { MOLD } from "./spec.ts";

/** What a packet is, relative to what was applied before. */
export const MoldResult = {
  /** the next messages in sequence (apply from `skip`) */
  fresh: 0,
  /** every message was applied before */
  duplicate: 1,
  /** messages gapFirst..gapLast were never seen; this packet follows them */
  gap: 2,
  /** end of session (count 0xFFFF) */
  end: 3,
  /**
   * more than `maxJump` messages ahead and not confirmed by the packet
   * before it: not applied (one corrupt sequence number must not make every
   * later packet look old); the next packet continuing it confirms the jump
   */
  jump: 5,
  /**
   * with `hold`: the packet starts after messages not seen yet; nothing was
   * advanced (the caller holds it while the missing ones are sought)
   */
  ahead: 4,
} as const;

const TWO32 = 4294967296;
// slots of the state array
const NEXT = 0, GAP_FIRST = 1, GAP_LAST = 2, MISSING = 3, DUP_MESSAGES = 4, SEQ = 5;
const JUMP_END = 6; // where an unconfirmed far jump would continue (0: none)

/** Expected-sequence tracking with counters. */
export class MoldSequencer {
  private readonly s = new Float64Array(7);
  /** messages of the current packet already applied (skip them) */
  skip = 0;
  /** message count of the current packet (0 = heartbeat) */
  count = 0;
  /** gaps seen */
  gaps = 0;
  /** packets that were entirely repeats */
  duplicatePackets = 0;
  /** times the session id changed */
  sessionChanges = 0;
  /** packets held back as unconfirmed far jumps */
  jumps = 0;
  private readonly session = new Uint8Array(10);
  /** The current session id (10 bytes, as on the wire). */
  get sessionId(): Uint8Array {
    return this.session;
  }
  private haveSession = false;

  /**
   * @param check sequence checking (off: every message applies)
   * @param hold report packets past a gap as `ahead` instead of declaring
   *   the gap (A/B arbitration and re-requests fill it first)
   */
  constructor(readonly check: boolean, readonly hold = false, readonly maxJump = 1_000_000) {}

  /** The next sequence number expected (0 = nothing seen yet). */
  get next(): number {
    return this.s[NEXT];
  }
  /** The current packet's first sequence number. */
  get seq(): number {
    return this.s[SEQ];
  }
  /** The last gap's first and last missing sequence numbers. */
  get gapFirst(): number {
    return this.s[GAP_FIRST];
  }
  get gapLast(): number {
    return this.s[GAP_LAST];
  }
  /** Messages lost in gaps. */
  get missing(): number {
    return this.s[MISSING];
  }
  /** Messages received more than once. */
  get duplicateMessages(): number {
    return this.s[DUP_MESSAGES];
  }

  /** Forgets the expected sequence (a replay, or a new session). */
  reset(): void {
    this.s[NEXT] = 0;
  }

  /**
   * Classifies the packet whose MoldUDP64 header is at `dv[off..]`: a new
   * session id starts a new sequence space; count 0 is a heartbeat.
   */
  onPacket(dv: DataView, off: number): number {
    this.onSession(dv, off + MOLD.session);
    const s = this.s;
    s[SEQ] = dv.getUint32(off + MOLD.seq) * TWO32 + dv.getUint32(off + MOLD.seq + 4);
    const count = this.count = dv.getUint16(off + MOLD.count);
    this.skip = 0;
    if (count === MOLD.endOfSession) return MoldResult.end;
    if (!this.check) return MoldResult.fresh;
    const seq = s[SEQ], next = s[NEXT], end = seq + count;
    if (next === 0 || seq === next) {
      if (end > next) s[NEXT] = end;
      s[JUMP_END] = 0;
      return MoldResult.fresh;
    }
    if (seq > next + this.maxJump && seq !== s[JUMP_END]) {
      s[JUMP_END] = end;
      this.jumps++;
      return MoldResult.jump;
    }
    s[JUMP_END] = 0;
    if (seq > next && this.hold) return MoldResult.ahead;
    if (seq > next) {
      s[GAP_FIRST] = next;
      s[GAP_LAST] = seq - 1;
      s[MISSING] += seq - next;
      s[NEXT] = end;
      this.gaps++;
      return MoldResult.gap;
    }
    if (end <= next) {
      if (count > 0) this.duplicatePackets++;
      s[DUP_MESSAGES] += count;
      return MoldResult.duplicate;
    }
    this.skip = next - seq; // overlapping: the tail is new
    s[DUP_MESSAGES] += this.skip;
    s[NEXT] = end;
    return MoldResult.fresh;
  }

  /**
   * Gives up on messages next..seq-1 (a gap that was held and not filled):
   * they count as missing and `seq` is expected next. Returns how many.
   */
  skipTo(seq: number): number {
    const s = this.s, n = seq - s[NEXT];
    if (n <= 0 || s[NEXT] === 0) return 0;
    s[GAP_FIRST] = s[NEXT];
    s[GAP_LAST] = seq - 1;
    s[MISSING] += n;
    s[NEXT] = seq;
    this.gaps++;
    return n;
  }

  private onSession(dv: DataView, off: number): void {
    const id = this.session;
    let same = this.haveSession;
    for (let i = 0; i < 10 && same; i++) same = id[i] === dv.getUint8(off + i);
    if (same) return;
    if (this.haveSession) this.sessionChanges++;
    this.haveSession = true;
    for (let i = 0; i < 10; i++) id[i] = dv.getUint8(off + i);
    this.s[NEXT] = 0;
  }
}
