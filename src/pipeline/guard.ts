/**
 * What a tick must be to be taken, checked in the pipeline Worker before it
 * touches any state (allocation-free). A tick that breaks a rule is
 * rejected: counted by reason, reported as an event, never in a bar and
 * never moving the watermark.
 *
 * - time: nanoseconds below 10^9;
 * - exponent: the price's decimal exponent within MIN_EXP..MAX_EXP;
 * - price: a trade's price above zero, a quote's bid and ask at least zero
 *   (zero: an empty side), every price below 2^53 (exact as a double);
 * - symbol: 1-8 letters, digits or `. - _ / : ^ $ # + = @ ! ~ %`, then only
 *   padding (`validSymbol`);
 * - plausible time: not more than `maxSkewMs` ahead of the watermark (the
 *   latest event time taken) or, on live feeds, of the wall clock.
 *
 * A tick too far ahead of the watermark may be the first of a real jump (a
 * replay across a night): it is held back, not rejected at once. When
 * CONFIRM far-ahead ticks in a row agree with each other, the jump is
 * taken and so are the held ticks; a plausible tick in between shows they
 * were outliers, and they are rejected. On live feeds the wall clock
 * decides at once.
 *
 * @example
 * ```ts
 * import { Reject, REJECT_NAMES } from "./guard.ts";
 * console.log(REJECT_NAMES[Reject.implausible]); // implausible_time
 * ```
 * @module
 */
import { TickKind } from "../wire/enums.ts";
import { TICK_SIZE } from "../ring/layout.ts";
import { ByteView } from "../wire/byte_view.ts";
import { Tick } from "../wire/generated/tickwire_generated.ts";

/** Why a tick was rejected (0: it was not). */
export const Reject = {
  none: 0,
  time: 1,
  price: 2,
  exponent: 3,
  symbol: 4,
  implausible: 5,
  /** its frame jumped too far ahead in sequence (held back by the sequencer) */
  jump: 6,
} as const;

/** Names of the reasons, as reported. */
export const REJECT_NAMES = [
  "",
  "bad_time",
  "bad_price",
  "bad_exponent",
  "bad_symbol",
  "implausible_time",
  "sequence_jump",
] as const;

/** Smallest and largest decimal exponent of a price. */
export const MIN_EXP = -12, MAX_EXP = 6;
/** Far-ahead ticks in a row that confirm a jump of event time. */
export const CONFIRM = 3;

const TRADE = TickKind.Trade;
// byte offsets in the Tick struct (schemas/tickwire.fbs)
const NSEC = 4, PRICE_LO = 16, PRICE_HI = 20, PRICE2_HI = 32, KIND = 40, EXP = 42;
/** a price's high word must stay below this: prices below 2^53 */
const HI_LIMIT = 1 << 21;

/** Value rules for the Tick struct at byte `at` of `dv`; 0 when it may be taken. */
export function checkValues(dv: DataView, at: number): number {
  if (dv.getUint32(at + NSEC, true) >= 1e9) return Reject.time;
  const exp = dv.getInt8(at + EXP);
  if (exp < MIN_EXP || exp > MAX_EXP) return Reject.exponent;
  const hi = dv.getInt32(at + PRICE_HI, true), hi2 = dv.getInt32(at + PRICE2_HI, true);
  if (hi < 0 || hi >= HI_LIMIT || hi2 < 0 || hi2 >= HI_LIMIT) return Reject.price;
  if (hi === 0 && dv.getUint8(at + KIND) === TRADE && dv.getUint32(at + PRICE_LO, true) === 0) {
    return Reject.price;
  }
  return Reject.none;
}

/** Event time of the Tick struct at byte `at` of `dv`, whole milliseconds. */
export function tickMsAt(dv: DataView, at: number): number {
  return dv.getUint32(at, true) * 1000 + Math.floor(dv.getUint32(at + NSEC, true) / 1e6);
}

/** Settings of the time rule. */
export interface GuardOptions {
  /** most event time may run ahead of the watermark or the wall clock, ms (0 = no limit) */
  maxSkewMs: number;
  /** compare with the wall clock too (live feeds) */
  live: boolean;
}

/** The time rule, with the ticks it holds back while a jump is unconfirmed. */
export class TimeGuard {
  /** ticks held back (CONFIRM at most), as copies of their 44 bytes */
  readonly held = new Uint8Array(CONFIRM * TICK_SIZE);
  /** their sequence numbers */
  readonly heldSeq = new Float64Array(CONFIRM);
  heldCount = 0;
  private heldMs = 0;
  private readonly bb = new ByteView(this.held);
  private readonly view = new Tick();
  private wallLimit = Infinity;

  constructor(private readonly o: GuardOptions) {}

  /**
   * Once per frame: the wall-clock limit of live feeds; returns the event
   * time below which a tick passes the time rules without a closer look
   * (the watermark only grows within the frame, so this errs on the safe side).
   */
  frame(watermark: number): number {
    if (this.o.maxSkewMs <= 0) return Infinity;
    if (this.o.live) this.wallLimit = Date.now() + this.o.maxSkewMs;
    const ahead = watermark > -Infinity ? watermark + this.o.maxSkewMs : Infinity;
    return Math.min(ahead, this.wallLimit);
  }

  /** True when the tick is past the wall clock's limit (live feeds): rejected at once. */
  pastWall(ms: number): boolean {
    return ms > this.wallLimit;
  }

  /** True when the tick is too far ahead of the watermark: hold it (or reject). */
  ahead(ms: number, watermark: number): boolean {
    return this.o.maxSkewMs > 0 && watermark > -Infinity && ms > watermark + this.o.maxSkewMs;
  }

  /** True when a far-ahead tick agrees with the ones held (within maxSkewMs of the first). */
  agrees(ms: number): boolean {
    return Math.abs(ms - this.heldMs) <= this.o.maxSkewMs;
  }

  /**
   * Holds a far-ahead tick (its 44 bytes copied from `bytes` at `pos`).
   * Returns true when it confirms the jump (CONFIRM ticks held).
   */
  hold(bytes: Uint8Array, pos: number, seq: number, ms: number): boolean {
    if (this.heldCount === 0) this.heldMs = ms;
    const at = this.heldCount * TICK_SIZE;
    for (let k = 0; k < TICK_SIZE; k++) this.held[at + k] = bytes[pos + k];
    this.heldSeq[this.heldCount++] = seq;
    return this.heldCount === CONFIRM;
  }

  /** Held tick k, as a view over the copy. */
  heldTick(k: number): Tick {
    return this.view.__init(k * TICK_SIZE, this.bb);
  }
}
