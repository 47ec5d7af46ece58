/**
 * MoldUDP64 sequencing of one downstream session: which messages of a
 * packet are new, which were seen, and which never came (gaps). Sequence
 * numbers are exact up to 2^53. With `check` off (captures whose headers
 * were zeroed) every message is applied in arrival order.
 *
 * @example
 * ```ts
 * import { MoldSequencer, MoldResult } from "./mold.ts";
 * const s = new MoldSequencer(true);
 * console.log(s.onPacket(1, 3) === MoldResult.fresh, s.onPacket(6, 1) === MoldResult.gap); // true true
 * console.log(s.gapFirst, s.gapLast); // 4 5
 * ```
 * @module
 */

/** What a packet is, relative to what was applied before. */
export const MoldResult = {
  /** the next messages in sequence (apply from `skip`) */
  fresh: 0,
  /** every message was applied before */
  duplicate: 1,
  /** messages gapFirst..gapLast were never seen; this packet follows them */
  gap: 2,
} as const;

/** Expected-sequence tracking with counters. */
export class MoldSequencer {
  /** the next sequence number expected (0 = nothing seen yet) */
  next = 0;
  /** messages of the current packet already applied (skip them) */
  skip = 0;
  gapFirst = 0;
  gapLast = 0;
  /** gaps seen and messages they lost */
  gaps = 0;
  missing = 0;
  /** packets (and messages) that were entirely repeats */
  duplicatePackets = 0;
  duplicateMessages = 0;
  /** times the session id changed */
  sessionChanges = 0;
  private readonly session = new Uint8Array(10);
  private haveSession = false;

  constructor(readonly check: boolean) {}

  /**
   * Notes the session id at bytes[off..off+10); a new one starts a new
   * sequence space. Returns true when it changed.
   */
  onSession(bytes: Uint8Array, off: number): boolean {
    const s = this.session;
    let same = this.haveSession;
    for (let i = 0; i < 10 && same; i++) same = s[i] === bytes[off + i];
    if (same) return false;
    if (this.haveSession) this.sessionChanges++;
    this.haveSession = true;
    s.set(bytes.subarray(off, off + 10));
    this.next = 0;
    return true;
  }

  /** Classifies a packet of `count` messages starting at `seq` (count 0: heartbeat). */
  onPacket(seq: number, count: number): number {
    this.skip = 0;
    if (!this.check) return MoldResult.fresh;
    const next = this.next, end = seq + count;
    if (next === 0 || seq === next) {
      if (end > next) this.next = end;
      return MoldResult.fresh;
    }
    if (seq > next) {
      this.gapFirst = next;
      this.gapLast = seq - 1;
      this.gaps++;
      this.missing += seq - next;
      this.next = end;
      return MoldResult.gap;
    }
    if (end <= next) {
      if (count > 0) {
        this.duplicatePackets++;
        this.duplicateMessages += count;
      }
      return MoldResult.duplicate;
    }
    this.skip = next - seq; // overlapping: the tail is new
    this.duplicateMessages += this.skip;
    this.next = end;
    return MoldResult.fresh;
  }
}
