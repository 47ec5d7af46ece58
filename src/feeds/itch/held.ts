/**
 * Packets that arrived past a MoldUDP64 gap, copied out of the ring and
 * kept in sequence-number order of retrieval while the gap is filled (by
 * the other line of an A/B pair, or by re-requests). One preallocated byte
 * arena plus typed index arrays: nothing allocates per packet.
 *
 * @example
 * ```ts
 * import { HeldPackets } from "./held.ts";
 * const h = new HeldPackets(1 << 16, 64);
 * h.add(new Uint8Array(30), 0, 30, 9, 0, 0);
 * h.add(new Uint8Array(30), 0, 30, 7, 0, 0);
 * console.log(h.seq(h.first())); // 7
 * ```
 * @module
 */

/** A bounded store of out-of-sequence packets. */
export class HeldPackets {
  readonly arena: Uint8Array;
  private readonly seqs: Float64Array;
  private readonly offs: Int32Array;
  private readonly lens: Int32Array;
  private readonly rx: Uint32Array;
  private top = 0;
  /** packets held */
  size = 0;

  constructor(bytes: number, readonly maxPackets: number) {
    this.arena = new Uint8Array(bytes);
    this.seqs = new Float64Array(maxPackets);
    this.offs = new Int32Array(maxPackets);
    this.lens = new Int32Array(maxPackets);
    this.rx = new Uint32Array(maxPackets * 2);
  }

  /** Copies a packet in; false when the store is full. */
  add(bytes: Uint8Array, off: number, len: number, seq: number, rxLo: number, rxHi: number) {
    if (this.size === this.maxPackets || this.top + len > this.arena.length) return false;
    const i = this.size++;
    this.arena.set(bytes.subarray(off, off + len), this.top);
    this.seqs[i] = seq;
    this.offs[i] = this.top;
    this.lens[i] = len;
    this.rx[2 * i] = rxLo;
    this.rx[2 * i + 1] = rxHi;
    this.top += len;
    return true;
  }

  /** True when a packet starting at `seq` is held. */
  has(seq: number): boolean {
    for (let i = 0; i < this.size; i++) if (this.seqs[i] === seq) return true;
    return false;
  }

  /** Index of the held packet with the lowest sequence number (-1: none). */
  first(): number {
    let best = -1;
    for (let i = 0; i < this.size; i++) {
      if (best < 0 || this.seqs[i] < this.seqs[best]) best = i;
    }
    return best;
  }

  seq(i: number): number {
    return this.seqs[i];
  }
  off(i: number): number {
    return this.offs[i];
  }
  len(i: number): number {
    return this.lens[i];
  }
  rxLo(i: number): number {
    return this.rx[2 * i];
  }
  rxHi(i: number): number {
    return this.rx[2 * i + 1];
  }

  /** Forgets packet i (the last one takes its index); the arena empties with the store. */
  remove(i: number): void {
    const last = --this.size;
    if (i !== last) {
      this.seqs[i] = this.seqs[last];
      this.offs[i] = this.offs[last];
      this.lens[i] = this.lens[last];
      this.rx[2 * i] = this.rx[2 * last];
      this.rx[2 * i + 1] = this.rx[2 * last + 1];
    }
    if (this.size === 0) this.top = 0;
  }
}
