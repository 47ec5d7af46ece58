/**
 * Zero-copy, allocation-free reader of tickwire `Frame` FlatBuffers
 * (schemas/tickwire.fbs) straight from ring memory.
 *
 * `open()` bounds-checks one frame (root offset, file identifier, vtable,
 * header, vector) so the generated accessors never read outside it, then
 * the generated `FrameHeader`/`Tick` classes read fields in place through
 * objects that are created once and re-pointed per frame and per tick. No
 * BigInt: 64-bit values travel as lo/hi uint32 halves and are combined into
 * exact doubles (up to 2^53) by the helpers below.
 *
 * @example
 * ```ts
 * import { FrameReader } from "./frame.ts";
 * import { encodeFrame } from "./encode.ts";
 * const bytes = encodeFrame({ session: 1, firstSeq: 1, ticks: [] });
 * const r = new FrameReader();
 * console.log(r.open(bytes, 0, bytes.length)); // 0 ticks
 * ```
 * @module
 */
import { FrameHeader, Tick } from "./generated/tickwire_generated.ts";
import { TICK_SIZE } from "../ring/layout.ts";
import { ByteView } from "./byte_view.ts";

/** Size of one Tick struct (TW_TICK_SIZE, checked against the schema in tests). */
export { TICK_SIZE };

const HEADER_SIZE = 24;
const TWO32 = 4294967296;
// "TWF1" as a little-endian uint32
const IDENT = 0x31465754;

/** Why open() refused a frame. */
export const FrameError = {
  ok: 0,
  tooShort: 1,
  identifier: 2,
  root: 3,
  vtable: 4,
  header: 5,
  vector: 6,
  count: 7,
} as const;

/** Reads frames in place; one instance per consumer thread. */
export class FrameReader {
  /** The reused header view (valid after a successful open). */
  readonly header = new FrameHeader();
  /** The reused tick view, re-pointed by tick(i). */
  readonly cur = new Tick();
  /** Reason of the last refusal (FrameError). */
  error = 0;
  private bb: ByteView = new ByteView(new Uint8Array(0));
  private bytes: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private vec = 0;
  private n = 0;

  /**
   * Validates the frame at `bytes[off..off+len)`; returns its tick count,
   * or -1 when malformed (reason in `error`).
   */
  open(bytes: Uint8Array, off: number, len: number): number {
    if (bytes !== this.bytes) {
      // once per ring buffer, not per frame
      this.bytes = bytes;
      this.bb = new ByteView(bytes);
      this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    const dv = this.dv, end = off + len;
    if (len < 8 + 4 + 4) return this.fail(FrameError.tooShort);
    if (dv.getUint32(off + 4, true) !== IDENT) {
      return this.fail(FrameError.identifier);
    }
    const root = dv.getUint32(off, true);
    if (root < 8 || root > len - 4) return this.fail(FrameError.root);
    const t = off + root;
    const vt = t - dv.getInt32(t, true);
    if (vt < off || vt > end - 4) return this.fail(FrameError.vtable);
    const vtSize = dv.getUint16(vt, true), tSize = dv.getUint16(vt + 2, true);
    if (
      vtSize < 4 || (vtSize & 1) || vt + vtSize > end || tSize < 4 ||
      t + tSize > end
    ) {
      return this.fail(FrameError.vtable);
    }
    const hOff = vtSize > 4 ? dv.getUint16(vt + 4, true) : 0;
    if (hOff < 4 || hOff + HEADER_SIZE > tSize) {
      return this.fail(FrameError.header);
    }
    this.header.__init(t + hOff, this.bb);
    const vOff = vtSize > 6 ? dv.getUint16(vt + 6, true) : 0;
    let n = 0;
    if (vOff !== 0) {
      if (vOff < 4 || vOff + 4 > tSize) return this.fail(FrameError.vector);
      const vec = t + vOff + dv.getUint32(t + vOff, true);
      if (vec < off || vec > end - 4) return this.fail(FrameError.vector);
      n = dv.getUint32(vec, true);
      if (n > (end - vec - 4) / TICK_SIZE) return this.fail(FrameError.vector);
      this.vec = vec + 4;
    }
    if (this.header.count() !== n) return this.fail(FrameError.count);
    this.n = n;
    this.error = FrameError.ok;
    return n;
  }

  private fail(code: number): number {
    this.error = code;
    this.n = 0;
    return -1;
  }

  /** The frame's bytes as a DataView (positions as in `tick(i).bb_pos`): one load per field. */
  get view(): DataView {
    return this.dv;
  }

  /** Number of ticks in the open frame. */
  get count(): number {
    return this.n;
  }

  /** Points `cur` at tick i of the open frame and returns it. */
  tick(i: number): Tick {
    return this.cur.__init(this.vec + i * TICK_SIZE, this.bb);
  }

  /** Session id of the open frame (exact up to 2^53). */
  session(): number {
    return this.header.sessionHi() * TWO32 + this.header.sessionLo();
  }

  /** Sequence number of the first tick (exact up to 2^53). */
  firstSeq(): number {
    return this.header.firstSeqHi() * TWO32 + this.header.firstSeqLo();
  }
}

/** Starting value of the tick checksum. */
export const CHECKSUM_SEED = 0x811c9dc5;

/**
 * Folds one tick into an order-sensitive 32-bit FNV-1a style checksum of
 * its price (low word), size and nanoseconds. Used by the pipeline summary
 * and by the tools, so a test can compare what was sent with what arrived.
 */
export function mixTick(h: number, t: Tick): number {
  h = Math.imul(h ^ t.priceLo(), 0x01000193);
  h = Math.imul(h ^ t.size(), 0x01000193);
  return Math.imul(h ^ t.tsNsec(), 0x01000193);
}

/** Event time of a tick, whole milliseconds. */
export function tickMs(t: Tick): number {
  return t.tsSec() * 1000 + Math.floor(t.tsNsec() / 1e6);
}

/** Trade or bid price of a tick as an exact integer in price_exp units. */
export function tickPrice(t: Tick): number {
  return t.priceHi() * TWO32 + t.priceLo();
}

/** Ask price of a quote tick as an exact integer in price_exp units. */
export function tickPrice2(t: Tick): number {
  return t.price2Hi() * TWO32 + t.price2Lo();
}

/** Decodes an 8-byte space-padded symbol (allocates: once per symbol). */
export function symbolName(lo: number, hi: number): string {
  let s = "";
  for (let i = 0; i < 8; i++) {
    const c = i < 4 ? (lo >>> (8 * i)) & 255 : (hi >>> (8 * (i - 4))) & 255;
    if (c === 0x20 || c === 0) continue;
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Characters a symbol may hold: letters, digits and `. - _ / : ^ $ # + = @ ! ~ %`
 * (real tickers such as BRK.A, BF/B, ES=F, ^GSPC, BTC-USD). Control bytes,
 * spaces inside, HTML (`< > & " '`), backquote, backslash and `*` are refused.
 */
const SYMBOL_CHARS = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_/:^$#+=@!~%") {
  SYMBOL_CHARS[c.charCodeAt(0)] = 1;
}

/**
 * True when the 8 wire bytes hold a valid symbol: 1 to 8 allowed characters,
 * then only padding (NUL or space). Two different wire symbols never map to
 * the same name this way.
 */
export function validSymbol(lo: number, hi: number): boolean {
  let end = false, n = 0;
  for (let i = 0; i < 8; i++) {
    const c = i < 4 ? (lo >>> (8 * i)) & 255 : (hi >>> (8 * (i - 4))) & 255;
    if (c === 0 || c === 0x20) end = true;
    else if (end || SYMBOL_CHARS[c] === 0) return false;
    else n++;
  }
  return n > 0;
}

/** Packs a symbol (at most 8 ASCII characters) into lo/hi words. */
export function packSymbol(name: string): [number, number] {
  if (name.length < 1 || name.length > 8 || !/^[\x21-\x7e]+$/.test(name)) {
    throw new RangeError(
      `symbol must be 1-8 printable ASCII characters: '${name}'`,
    );
  }
  let lo = 0, hi = 0;
  for (let i = 0; i < 8; i++) {
    const c = i < name.length ? name.charCodeAt(i) : 0x20;
    if (i < 4) lo |= c << (8 * i);
    else hi |= c << (8 * (i - 4));
  }
  return [lo >>> 0, hi >>> 0];
}
