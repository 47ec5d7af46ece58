/**
 * A flatbuffers `ByteBuffer` whose fixed-size reads are single DataView
 * loads. The package composes each 32-bit read from four byte reads; the
 * generated accessors (`Tick.tsSec()` ...) call these methods for every
 * field, so on the per-tick path this is the difference between one load
 * and four per field. Same results for in-bounds reads (little-endian, as
 * FlatBuffers); callers bounds-check a frame before reading it
 * (`FrameReader.open`), so no read falls outside the bytes.
 *
 * @example
 * ```ts
 * import { ByteView } from "./byte_view.ts";
 * const bb = new ByteView(new Uint8Array([1, 0, 0, 0, 255]));
 * console.log(bb.readUint32(0), bb.readInt8(4)); // 1 -1
 * ```
 * @module
 */
import * as flatbuffers from "flatbuffers";

/** A ByteBuffer over `bytes` (any ArrayBuffer or SharedArrayBuffer view) with one-load reads. */
export class ByteView extends flatbuffers.ByteBuffer {
  private readonly dv: DataView;

  constructor(bytes: Uint8Array) {
    super(bytes);
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  override readInt8(offset: number): number {
    return this.dv.getInt8(offset);
  }
  override readUint8(offset: number): number {
    return this.dv.getUint8(offset);
  }
  override readInt16(offset: number): number {
    return this.dv.getInt16(offset, true);
  }
  override readUint16(offset: number): number {
    return this.dv.getUint16(offset, true);
  }
  override readInt32(offset: number): number {
    return this.dv.getInt32(offset, true);
  }
  override readUint32(offset: number): number {
    return this.dv.getUint32(offset, true);
  }
}
