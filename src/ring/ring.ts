/**
 * Single-producer/single-consumer ring over a `SharedArrayBuffer` (layout in
 * `layout.ts`). The same memory is written by C feed threads (receive path),
 * by TypeScript producers (pipeline Worker to server), and read here.
 *
 * Ordering: JavaScript `Atomics` are sequentially consistent, at least as
 * strong as the acquire/release pairs named at each use below.
 *
 * @example
 * ```ts
 * import { createRing, RingConsumer, RingProducer } from "./ring.ts";
 * const sab = createRing(1 << 16, 1024);
 * const p = new RingProducer(sab);
 * p.tryWrite(new Uint8Array([1, 2, 3]));
 * p.publish();
 * const c = new RingConsumer(sab);
 * c.poll((bytes, off, len) => console.log(bytes[off], len));
 * ```
 * @module
 */
import * as L from "./layout.ts";

/** A ring could not be created or attached. */
export class RingError extends Error {
  override name = "RingError";
}

/**
 * Allocates and initialises a ring: `capacity` data bytes (a power of two,
 * at least 4096) and records up to `maxRecord` bytes (at most capacity/4).
 */
export function createRing(
  capacity: number,
  maxRecord: number,
): SharedArrayBuffer {
  if (
    !Number.isInteger(capacity) || capacity < L.MIN_CAPACITY ||
    capacity > 1 << 30 || (capacity & (capacity - 1)) !== 0
  ) {
    throw new RingError(
      `ring capacity must be a power of two from ${L.MIN_CAPACITY} to 2^30 bytes, got ${capacity}`,
    );
  }
  if (
    !Number.isInteger(maxRecord) || maxRecord < 1 || maxRecord > capacity / 4
  ) {
    throw new RingError(
      `max record must be 1..capacity/4 (${capacity / 4}) bytes, got ${maxRecord}`,
    );
  }
  const sab = new SharedArrayBuffer(L.DATA_OFF + capacity);
  const u32 = new Uint32Array(sab, 0, L.DATA_OFF / 4);
  u32[L.OFF_MAGIC / 4] = L.MAGIC;
  u32[L.OFF_VERSION / 4] = L.VERSION;
  u32[L.OFF_CAPACITY / 4] = capacity;
  u32[L.OFF_MAX_RECORD / 4] = maxRecord;
  u32[L.OFF_DATA_OFF / 4] = L.DATA_OFF;
  return sab;
}

/** Reads and validates a ring header; returns [capacity, maxRecord]. */
export function ringGeometry(sab: SharedArrayBuffer): [number, number] {
  if (
    !(sab instanceof SharedArrayBuffer) ||
    sab.byteLength < L.DATA_OFF + L.MIN_CAPACITY
  ) {
    throw new RingError("ring buffer too small or not a SharedArrayBuffer");
  }
  const u32 = new Uint32Array(sab, 0, L.DATA_OFF / 4);
  if (
    u32[L.OFF_MAGIC / 4] !== L.MAGIC || u32[L.OFF_VERSION / 4] !== L.VERSION ||
    u32[L.OFF_DATA_OFF / 4] !== L.DATA_OFF
  ) {
    throw new RingError(
      "not a tickwire ring (bad magic, version or data offset)",
    );
  }
  const cap = u32[L.OFF_CAPACITY / 4], max = u32[L.OFF_MAX_RECORD / 4];
  if (
    (cap & (cap - 1)) !== 0 || cap < L.MIN_CAPACITY ||
    L.DATA_OFF + cap > sab.byteLength
  ) {
    throw new RingError(`bad ring capacity ${cap}`);
  }
  if (max < 1 || max > cap / 4) {
    throw new RingError(`bad ring max record ${max}`);
  }
  return [cap, max];
}

/** Counters kept in the ring header by the producer. */
export interface RingCounters {
  /** Records published so far. */
  published: number;
  /** Records refused because the ring was full. */
  drops: number;
  /** Bytes written but not yet consumed. */
  used: number;
  /** Capacity in bytes. */
  capacity: number;
  /** Producer has finished. */
  closed: boolean;
}

/** Reads the header counters (allocates; for status, not per record). */
export function ringCounters(sab: SharedArrayBuffer): RingCounters {
  const i32 = new Int32Array(sab, 0, L.DATA_OFF / 4);
  const i64 = new BigInt64Array(sab, 0, L.DATA_OFF / 8);
  const w = Atomics.load(i32, L.OFF_WRITE / 4) >>> 0;
  const r = Atomics.load(i32, L.OFF_READ / 4) >>> 0;
  return {
    published: Number(Atomics.load(i64, L.OFF_PUBLISHED / 8)),
    drops: Number(Atomics.load(i64, L.OFF_DROPS / 8)),
    used: (w - r) >>> 0,
    capacity: i32[L.OFF_CAPACITY / 4],
    closed: Atomics.load(i32, L.OFF_CLOSED / 4) !== 0,
  };
}

/**
 * Called once per data record: `bytes` is the whole ring buffer, the record
 * payload is `bytes[off .. off+len)`; `rxLo`/`rxHi` are the rx timestamp
 * halves (CLOCK_MONOTONIC ns) stamped by the producer; `source` is the
 * record's source word (feed kind, and the line of an A/B pair in bits
 * 8..15: `source >>> SRC_LINE_SHIFT`).
 */
export type RecordHandler = (
  bytes: Uint8Array,
  off: number,
  len: number,
  rxLo: number,
  rxHi: number,
  source: number,
) => void;

/** The consuming side. One instance per ring, one thread. */
export class RingConsumer {
  /** The whole SharedArrayBuffer as bytes (records are read in place). */
  readonly bytes: Uint8Array;
  readonly capacity: number;
  readonly maxRecord: number;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly u16: Uint16Array;
  private readonly mask: number;
  private head: number; // private read index
  private writeCache: number; // cached copy of the producer's write index

  constructor(readonly sab: SharedArrayBuffer) {
    [this.capacity, this.maxRecord] = ringGeometry(sab);
    this.bytes = new Uint8Array(sab);
    this.i32 = new Int32Array(sab);
    this.u32 = new Uint32Array(sab);
    this.u16 = new Uint16Array(sab);
    this.mask = this.capacity - 1;
    // acquire: pairs with the producer's release store of the write index.
    this.head = Atomics.load(this.i32, L.OFF_READ / 4) >>> 0;
    this.writeCache = Atomics.load(this.i32, L.OFF_WRITE / 4) >>> 0;
  }

  /** True once the producer closed the ring and every record was read. */
  drained(): boolean {
    // acquire: closed is stored (release) after the final write index.
    if (Atomics.load(this.i32, L.OFF_CLOSED / 4) === 0) return false;
    return this.head === (Atomics.load(this.i32, L.OFF_WRITE / 4) >>> 0);
  }

  /**
   * Hands up to `max` records to `fn` and frees their space with one
   * release store. Returns the number of data records handled.
   */
  poll(fn: RecordHandler, max = 1 << 30): number {
    let head = this.head;
    if (head === this.writeCache) {
      // acquire: pairs with the producer's release store of the write
      // index; record bytes before it are visible after this load.
      this.writeCache = Atomics.load(this.i32, L.OFF_WRITE / 4) >>> 0;
      if (head === this.writeCache) return 0;
    }
    const base = L.DATA_OFF, mask = this.mask;
    const u32 = this.u32, u16 = this.u16, bytes = this.bytes;
    let n = 0;
    while (head !== this.writeCache && n < max) {
      const at = base + (head & mask);
      const len = u32[(at + L.REC_OFF_LEN) >> 2];
      const type = u16[(at + L.REC_OFF_TYPE) >> 1];
      if (type === L.REC_DATA) {
        fn(
          bytes,
          at + L.REC_HDR,
          len,
          u32[(at + L.REC_OFF_RX_LO) >> 2],
          u32[(at + L.REC_OFF_RX_HI) >> 2],
          u16[(at + L.REC_OFF_SOURCE) >> 1],
        );
        n++;
      }
      head = (head + L.recordSize(len)) >>> 0;
    }
    this.head = head;
    // release: the producer may reuse these bytes only after this store.
    Atomics.store(this.i32, L.OFF_READ / 4, head | 0);
    return n;
  }
}

/** The producing side for TypeScript producers (e.g. Worker to server). */
export class RingProducer {
  readonly capacity: number;
  readonly maxRecord: number;
  private readonly bytes: Uint8Array;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly u16: Uint16Array;
  private readonly mask: number;
  private head: number; // private write index (published by publish())
  private readCache: number; // cached copy of the consumer's read index
  private pending = 0;
  private drops = 0;
  private published = 0;

  constructor(readonly sab: SharedArrayBuffer) {
    [this.capacity, this.maxRecord] = ringGeometry(sab);
    this.bytes = new Uint8Array(sab);
    this.i32 = new Int32Array(sab);
    this.u32 = new Uint32Array(sab);
    this.u16 = new Uint16Array(sab);
    this.mask = this.capacity - 1;
    this.head = Atomics.load(this.i32, L.OFF_WRITE / 4) >>> 0;
    this.published = this.read64(L.OFF_PUBLISHED);
    this.drops = this.read64(L.OFF_DROPS);
    // acquire: pairs with the consumer's release store of the read index.
    this.readCache = Atomics.load(this.i32, L.OFF_READ / 4) >>> 0;
  }

  private read64(off: number): number {
    return this.u32[(off >> 2) + 1] * 4294967296 + this.u32[off >> 2];
  }

  /**
   * Statistics counters are 64-bit in the header; TypeScript writes them
   * as two 32-bit halves (no BigInt, so no allocation). A reader may see a
   * torn value for an instant when the low half wraps; they are statistics,
   * not synchronisation.
   */
  private write64(off: number, v: number): void {
    Atomics.store(this.i32, off >> 2, v | 0);
    Atomics.store(this.i32, (off >> 2) + 1, Math.floor(v / 4294967296) | 0);
  }

  private room(need: number): boolean {
    if (this.capacity - ((this.head - this.readCache) >>> 0) >= need) {
      return true;
    }
    // acquire: pairs with the consumer's release store of the read index.
    this.readCache = Atomics.load(this.i32, L.OFF_READ / 4) >>> 0;
    return this.capacity - ((this.head - this.readCache) >>> 0) >= need;
  }

  /**
   * Reserves a record of `len` bytes without waiting; returns the byte
   * offset in `bytes` where the payload goes, or -1 when the ring is full
   * (back-pressure as a result, never a wait). Follow with `commit`.
   * `keepFree` bytes must stay free after it (room kept for other records).
   * Throws RangeError for a length outside 1..maxRecord.
   */
  tryReserve(len: number, keepFree = 0): number {
    if (!(len >= 1 && len <= this.maxRecord)) {
      throw new RangeError(
        `record of ${len} bytes outside 1..${this.maxRecord}`,
      );
    }
    const size = L.recordSize(len);
    let pos = this.head & this.mask;
    const tail = this.capacity - pos;
    if (tail < size) {
      if (!this.room(tail + size + keepFree)) return -1;
      const at = L.DATA_OFF + pos;
      this.u32[(at + L.REC_OFF_LEN) >> 2] = tail - L.REC_HDR;
      this.u16[(at + L.REC_OFF_TYPE) >> 1] = L.REC_PAD;
      this.head = (this.head + tail) >>> 0;
      pos = 0;
    } else if (!this.room(size + keepFree)) {
      return -1;
    }
    return L.DATA_OFF + pos + L.REC_HDR;
  }

  /** Finishes the reserved record with its length and rx stamp halves. */
  commit(len: number, rxLo = 0, rxHi = 0): void {
    const at = L.DATA_OFF + (this.head & this.mask);
    this.u32[(at + L.REC_OFF_LEN) >> 2] = len;
    this.u16[(at + L.REC_OFF_TYPE) >> 1] = L.REC_DATA;
    this.u16[(at + L.REC_OFF_SOURCE) >> 1] = L.SRC_TS;
    this.u32[(at + L.REC_OFF_RX_LO) >> 2] = rxLo;
    this.u32[(at + L.REC_OFF_RX_HI) >> 2] = rxHi;
    this.head = (this.head + L.recordSize(len)) >>> 0;
    this.pending++;
  }

  /**
   * Like `tryReserve`, but when the ring is full, publishes what is pending
   * and waits for the consumer to make room: naps of at most 1 ms on the
   * read index (`Atomics.wait`: Workers only), for up to `timeoutMs` in
   * all; -1 when no room came in that time.
   */
  reserve(len: number, timeoutMs: number): number {
    let at = this.tryReserve(len);
    if (at >= 0) return at;
    this.publish();
    const deadline = performance.now() + timeoutMs, READ = L.OFF_READ / 4;
    for (;;) {
      // acquire: pairs with the consumer's release store of the read index
      const read = Atomics.load(this.i32, READ);
      at = this.tryReserve(len);
      if (at >= 0) return at;
      const left = deadline - performance.now();
      if (left <= 0) return -1;
      Atomics.wait(this.i32, READ, read, Math.min(1, left));
    }
  }

  /** Copies `src[off..off+len)` in as one record; false (counted) if full. */
  tryWrite(src: Uint8Array, off = 0, len = src.length - off): boolean {
    const at = this.tryReserve(len);
    if (at < 0) {
      this.write64(L.OFF_DROPS, ++this.drops);
      return false;
    }
    this.bytes.set(src.subarray(off, off + len), at);
    this.commit(len);
    return true;
  }

  /** The ring bytes, for writing a reserved payload in place. */
  get buffer(): Uint8Array {
    return this.bytes;
  }

  /** Records refused by tryWrite because the ring was full. */
  get dropped(): number {
    return this.drops;
  }

  /** Makes every committed record visible with one release store; false when there was none. */
  publish(): boolean {
    if (this.pending === 0) return false;
    this.published += this.pending;
    this.write64(L.OFF_PUBLISHED, this.published);
    this.pending = 0;
    // release: record bytes written above are visible to a consumer that
    // loads (acquire) this index.
    Atomics.store(this.i32, L.OFF_WRITE / 4, this.head | 0);
    return true;
  }

  /** Publishes and marks the ring finished. */
  close(): void {
    this.publish();
    // release: after the final write index.
    Atomics.store(this.i32, L.OFF_CLOSED / 4, 1);
  }
}
