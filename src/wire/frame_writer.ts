/**
 * Writes tickwire `Frame` FlatBuffers in place, into one preallocated
 * buffer, tick by tick: for stages that make ticks from another protocol
 * (ITCH) and hand them to the same consumer as a received frame. The
 * layout is fixed (root, identifier, vtable, table with the header struct
 * and the vector offset, then the vector of Tick structs), is what
 * FrameReader.open accepts, and is checked against it in
 * tests/itch_test.ts. Nothing allocates after construction.
 *
 * @example
 * ```ts
 * import { FrameWriter } from "./frame_writer.ts";
 * import { FrameReader } from "./frame.ts";
 * const w = new FrameWriter(8);
 * w.begin(1, 1);
 * w.tick(new Float64Array([1_340_285_400, 0]), 0x4c504141, 0x20202020, 1, 0, 5_853_300, 100, 0, 0);
 * console.log(new FrameReader().open(w.bytes, 0, w.end())); // 1
 * ```
 * @module
 */
import { TICK_SIZE } from "../ring/layout.ts";

// "TWF1" little-endian
const IDENT = 0x31465754;
const VT = 8, TABLE = 16, HEADER = TABLE + 4, VEC_REF = TABLE + 28, VEC = 48, TICKS = 52;
const TWO32 = 4294967296;

/** A frame under construction; `bytes[0..end())` is a valid Frame. */
export class FrameWriter {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  /** ticks written since begin() */
  count = 0;

  constructor(readonly maxTicks: number) {
    this.bytes = new Uint8Array(TICKS + maxTicks * TICK_SIZE);
    const dv = this.dv = new DataView(this.bytes.buffer);
    dv.setUint32(0, TABLE, true); // root table
    dv.setUint32(4, IDENT, true);
    dv.setUint16(VT, 8, true); // vtable bytes
    dv.setUint16(VT + 2, 32, true); // table bytes
    dv.setUint16(VT + 4, 4, true); // field 0: header
    dv.setUint16(VT + 6, 28, true); // field 1: ticks
    dv.setInt32(TABLE, TABLE - VT, true);
    dv.setUint32(VEC_REF, VEC - VEC_REF, true);
  }

  /** Starts a frame of `session` whose first tick has sequence `firstSeq`. */
  begin(session: number, firstSeq: number): void {
    const dv = this.dv;
    dv.setUint32(HEADER, session >>> 0, true);
    dv.setUint32(HEADER + 4, Math.floor(session / TWO32), true);
    const lo = firstSeq >>> 0;
    dv.setUint32(HEADER + 8, lo, true);
    dv.setUint32(HEADER + 12, (firstSeq - lo) / TWO32, true);
    dv.setUint32(HEADER + 20, 0, true);
    this.count = 0;
  }

  /** True when another tick fits. */
  get full(): boolean {
    return this.count === this.maxTicks;
  }

  /**
   * Appends a tick at `time` = [UTC seconds, nanoseconds] (a typed array, so
   * large seconds are never boxed); prices are non-negative integers in
   * units of 10^exp (below 2^53).
   */
  tick(
    time: Float64Array,
    symLo: number,
    symHi: number,
    kind: number,
    side: number,
    price: number,
    size: number,
    price2: number,
    size2: number,
    exp = -4,
  ): void {
    const dv = this.dv, p = TICKS + this.count * TICK_SIZE;
    dv.setUint32(p, time[0], true);
    dv.setUint32(p + 4, time[1], true);
    dv.setUint32(p + 8, symLo, true);
    dv.setUint32(p + 12, symHi, true);
    // x >>> 0 is x mod 2^32 for these integers: no floating-point modulo
    const lo = price >>> 0, lo2 = price2 >>> 0;
    dv.setUint32(p + 16, lo, true);
    dv.setInt32(p + 20, (price - lo) / TWO32, true);
    dv.setUint32(p + 24, size, true);
    dv.setUint32(p + 28, lo2, true);
    dv.setInt32(p + 32, (price2 - lo2) / TWO32, true);
    dv.setUint32(p + 36, size2, true);
    dv.setUint8(p + 40, kind);
    dv.setUint8(p + 41, side);
    dv.setInt8(p + 42, exp);
    dv.setUint8(p + 43, 0);
    this.count++;
  }

  /** Closes the frame: writes the counts; returns its length in bytes. */
  end(): number {
    this.dv.setUint32(HEADER + 16, this.count, true);
    this.dv.setUint32(VEC, this.count, true);
    return TICKS + this.count * TICK_SIZE;
  }
}
