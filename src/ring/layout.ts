/**
 * The shared-memory layout of a tickwire SPSC ring, mirrored from
 * `ffi/include/ring_layout.h` (the one place it is written down in full).
 * `tests/ring_layout_test.ts` checks that C reports the same numbers.
 *
 * @example
 * ```ts
 * import { DATA_OFF, OFF_WRITE } from "./layout.ts";
 * console.log(DATA_OFF, OFF_WRITE); // 384 128
 * ```
 * @module
 */

/** "TWRG", little-endian. */
export const MAGIC = 0x47525754;
/** Layout version. */
export const VERSION = 1;
/** Byte offset of the data capacity (uint32, a power of two). */
export const OFF_CAPACITY = 8;
/** Byte offset of the maximum record payload (uint32). */
export const OFF_MAX_RECORD = 12;
/** Byte offset of the data offset field (uint32). */
export const OFF_DATA_OFF = 16;
/** Producer block: write index (uint32, free-running byte count). */
export const OFF_WRITE = 128;
/** Producer block: closed flag (uint32). */
export const OFF_CLOSED = 132;
/** Producer block: records dropped because the ring was full (uint64). */
export const OFF_DROPS = 136;
/** Producer block: records published (uint64). */
export const OFF_PUBLISHED = 144;
/** Consumer block: read index (uint32, free-running byte count). */
export const OFF_READ = 256;
/** Where the record data starts. */
export const DATA_OFF = 384;
/** Smallest allowed capacity. */
export const MIN_CAPACITY = 4096;
/** Record alignment. */
export const ALIGN = 16;
/** Record header size. */
export const REC_HDR = 16;
/** Record type: data. */
export const REC_DATA = 1;
/** Record type: padding up to the end of the data area. */
export const REC_PAD = 2;
/** Record source written by TypeScript producers. */
export const SRC_TS = 6;

/** Size of a FlatBuffers `Tick` struct. */
export const TICK_SIZE = 44;
/** Bytes before the first tick in the canonical frame layout. */
export const FRAME_FIXED = 52;

/** Bytes of a record holding `len` payload bytes. */
export function recordSize(len: number): number {
  return (REC_HDR + len + ALIGN - 1) & ~(ALIGN - 1);
}
