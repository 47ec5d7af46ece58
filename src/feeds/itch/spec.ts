/**
 * Nasdaq TotalView-ITCH 5.0 and MoldUDP64, as numbers: every message type
 * with its length, and the byte offsets the parser reads. All integers are
 * big-endian; prices are 4-decimal fixed point (dollars x 10,000);
 * timestamps are 6-byte nanoseconds since midnight, US/Eastern.
 *
 * Every ITCH message starts with the same 11 bytes: type (1), stock locate
 * (2), tracking number (2), timestamp (6).
 *
 * @example
 * ```ts
 * import { ITCH_TYPES, MSG_LEN } from "./spec.ts";
 * console.log(ITCH_TYPES.length, MSG_LEN["A".charCodeAt(0)]); // 23 36
 * ```
 * @module
 */

/** Message type letter -> length in bytes (type byte included), ITCH 5.0. */
const LENGTHS: Record<string, number> = {
  S: 12, // system event
  R: 39, // stock directory
  H: 25, // stock trading action
  Y: 20, // Reg SHO restriction
  L: 26, // market participant position
  V: 35, // MWCB decline level
  W: 12, // MWCB status
  K: 28, // IPO quoting period update
  J: 35, // LULD auction collar
  h: 21, // operational halt
  A: 36, // add order, no MPID
  F: 40, // add order with MPID
  E: 31, // order executed
  C: 36, // order executed with price
  X: 23, // order cancel
  D: 19, // order delete
  U: 35, // order replace
  P: 44, // trade (non-cross)
  Q: 40, // cross trade
  B: 19, // broken trade
  I: 50, // net order imbalance indicator
  N: 20, // retail price improvement indicator
  O: 48, // DLCR price discovery
};

/** The ITCH 5.0 message types, in the order the summary lists them. */
export const ITCH_TYPES: readonly string[] = Object.keys(LENGTHS);

/** Length by type byte (0 = not an ITCH 5.0 type). */
export const MSG_LEN: Uint8Array = new Uint8Array(256);
for (const [t, n] of Object.entries(LENGTHS)) MSG_LEN[t.charCodeAt(0)] = n;

/** Type bytes the book and trade logic switch on. */
export const T = {
  A: 0x41,
  B: 0x42,
  C: 0x43,
  D: 0x44,
  E: 0x45,
  F: 0x46,
  P: 0x50,
  Q: 0x51,
  R: 0x52,
  U: 0x55,
  X: 0x58,
} as const;

/** Offsets within a message (from its type byte). */
export const M = {
  locate: 1,
  tsHi: 5, // 2 bytes
  tsLo: 7, // 4 bytes
  ref: 11, // order reference (A F E C X D U P), match number (B)
  /** A F P: side byte, shares, stock, price */
  side: 19,
  addShares: 20,
  addStock: 24,
  addPrice: 32,
  /** E C X: executed / cancelled shares */
  shares: 19,
  /** C: printable flag and execution price */
  printable: 31,
  execPrice: 32,
  /** U: new reference, shares, price */
  newRef: 19,
  replShares: 27,
  replPrice: 31,
  /** Q: shares (8 bytes), stock, cross price */
  crossShares: 11,
  crossStock: 19,
  crossPrice: 27,
  /** R: stock */
  dirStock: 11,
} as const;

/** MoldUDP64 downstream packet: session (10), sequence (8), count (2). */
export const MOLD = {
  header: 20,
  session: 0,
  seq: 10,
  count: 18,
  /** count value of an end-of-session packet */
  endOfSession: 0xffff,
  /** a re-request packet: session (10), sequence (8), count (2) */
  request: 20,
} as const;

/** Side bytes. */
export const SIDE_BUY = 0x42, SIDE_SELL = 0x53;
