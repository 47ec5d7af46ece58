/**
 * Builds ITCH 5.0 messages and MoldUDP64 packets, for the tools (LOBSTER
 * import, the feed publisher's re-request server) and tests. Not on the
 * receive path: each call returns a fresh array.
 *
 * @example
 * ```ts
 * import { addOrder, moldPacket } from "./encode.ts";
 * const a = addOrder({ locate: 1, ts: 34_200_000_000_000, ref: 7, side: "B", shares: 100, stock: "AAPL", price: 5_853_300 });
 * console.log(moldPacket("SESSION001", 1, [a]).length); // 20 + 2 + 36
 * ```
 * @module
 */
import { MOLD, MSG_LEN } from "./spec.ts";

const TWO32 = 4294967296;

/** Fields every message has. */
export interface Common {
  locate: number;
  /** ns since New York midnight */
  ts: number;
}

function start(type: string, c: Common): [Uint8Array, DataView] {
  const b = new Uint8Array(MSG_LEN[type.charCodeAt(0)]);
  const dv = new DataView(b.buffer);
  b[0] = type.charCodeAt(0);
  dv.setUint16(1, c.locate);
  dv.setUint16(3, 0); // tracking number
  dv.setUint16(5, Math.floor(c.ts / TWO32));
  dv.setUint32(7, c.ts % TWO32);
  return [b, dv];
}

function u64(dv: DataView, at: number, v: number): void {
  dv.setUint32(at, Math.floor(v / TWO32));
  dv.setUint32(at + 4, v % TWO32);
}

function text(b: Uint8Array, at: number, s: string, width: number): void {
  for (let i = 0; i < width; i++) b[at + i] = i < s.length ? s.charCodeAt(i) : 0x20;
}

/** R: stock directory (a common stock, round lot 100). */
export function stockDirectory(c: Common & { stock: string }): Uint8Array {
  const [b, dv] = start("R", c);
  text(b, 11, c.stock, 8);
  text(b, 19, "QN", 2); // market category, financial status
  dv.setUint32(21, 100);
  text(b, 25, "NCZ PN 1N", 9); // round lots only .. ETP flag
  dv.setUint32(34, 0);
  b[38] = 0x4e;
  return b;
}

/** A: add order (no MPID). Side "B" or "S"; price in dollars x 10,000. */
export function addOrder(
  c: Common & { ref: number; side: "B" | "S"; shares: number; stock: string; price: number },
): Uint8Array {
  return orderFields(start("A", c), c);
}

/** The fields A and P share: reference, side, shares, stock, price (offsets 11-35). */
function orderFields(
  [b, dv]: [Uint8Array, DataView],
  c: { ref: number; side: "B" | "S"; shares: number; stock: string; price: number },
): Uint8Array {
  u64(dv, 11, c.ref);
  b[19] = c.side.charCodeAt(0);
  dv.setUint32(20, c.shares);
  text(b, 24, c.stock, 8);
  dv.setUint32(32, c.price);
  return b;
}

/** E: order executed. */
export function orderExecuted(c: Common & { ref: number; shares: number; match: number }) {
  const [b, dv] = start("E", c);
  u64(dv, 11, c.ref);
  dv.setUint32(19, c.shares);
  u64(dv, 23, c.match);
  return b;
}

/** X: order cancel (part of the shares). */
export function orderCancel(c: Common & { ref: number; shares: number }): Uint8Array {
  const [b, dv] = start("X", c);
  u64(dv, 11, c.ref);
  dv.setUint32(19, c.shares);
  return b;
}

/** D: order delete. */
export function orderDelete(c: Common & { ref: number }): Uint8Array {
  const [b, dv] = start("D", c);
  u64(dv, 11, c.ref);
  return b;
}

/** P: trade against a non-displayed order. */
export function tradeNonCross(
  c: Common & {
    ref: number;
    side: "B" | "S";
    shares: number;
    stock: string;
    price: number;
    match: number;
  },
): Uint8Array {
  const msg = start("P", c);
  orderFields(msg, c);
  u64(msg[1], 36, c.match);
  return msg[0];
}

/** Q: cross trade. */
export function crossTrade(
  c: Common & { shares: number; stock: string; price: number; match: number; crossType: string },
): Uint8Array {
  const [b, dv] = start("Q", c);
  u64(dv, 11, c.shares);
  text(b, 19, c.stock, 8);
  dv.setUint32(27, c.price);
  u64(dv, 31, c.match);
  b[39] = c.crossType.charCodeAt(0);
  return b;
}

/** H: stock trading action; state "H" halted, "Q" quotation only, "T" trading. */
export function tradingAction(c: Common & { stock: string; state: "H" | "Q" | "T" }): Uint8Array {
  const [b] = start("H", c);
  text(b, 11, c.stock, 8);
  b[19] = c.state.charCodeAt(0);
  text(b, 20, " ", 5); // reserved, reason
  return b;
}

/** A MoldUDP64 downstream packet (count = messages; `endOfSession` sends 0xFFFF). */
export function moldPacket(
  session: string,
  seq: number,
  messages: Uint8Array[],
  endOfSession = false,
): Uint8Array {
  const size = MOLD.header + messages.reduce((n, m) => n + 2 + m.length, 0);
  const b = new Uint8Array(size), dv = new DataView(b.buffer);
  text(b, 0, session, 10);
  u64(dv, MOLD.seq, seq);
  dv.setUint16(MOLD.count, endOfSession ? MOLD.endOfSession : messages.length);
  let p = MOLD.header;
  for (const m of messages) {
    dv.setUint16(p, m.length);
    b.set(m, p + 2);
    p += 2 + m.length;
  }
  return b;
}
