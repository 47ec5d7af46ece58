/**
 * Allocation-free symbol interning: maps the two 32-bit words of an 8-byte
 * wire symbol to a dense index 0..capacity-1 with open addressing over
 * typed arrays. A name string is created once, on first sight.
 *
 * @example
 * ```ts
 * import { SymbolTable } from "./symbols.ts";
 * import { packSymbol } from "../wire/frame.ts";
 * const t = new SymbolTable(16);
 * const [lo, hi] = packSymbol("AAPL");
 * console.log(t.intern(lo, hi), t.names[0]); // 0 AAPL
 * ```
 * @module
 */
import { symbolName, validSymbol } from "./frame.ts";
import { hash64 } from "./hash.ts";

/** Fixed-capacity symbol table. */
export class SymbolTable {
  /** Names by index. */
  readonly names: string[] = [];
  /** Ticks refused because the table was full. */
  overflow = 0;
  private readonly keyLo: Uint32Array;
  private readonly keyHi: Uint32Array;
  private readonly slot: Int32Array; // -1 = empty, else symbol index
  private readonly mask: number;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) {
      throw new RangeError(
        `symbol capacity must be 1..${1 << 20}, got ${capacity}`,
      );
    }
    let slots = 2;
    while (slots < capacity * 2) slots *= 2;
    this.keyLo = new Uint32Array(slots);
    this.keyHi = new Uint32Array(slots);
    this.slot = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
  }

  /** Number of symbols seen. */
  get size(): number {
    return this.names.length;
  }

  /**
   * Index of the symbol, adding it when new; -1 (counted) when full, -2
   * when a new symbol is not valid (`validSymbol`: never stored).
   */
  intern(lo: number, hi: number): number {
    // every byte of the name reaches the low bits the mask keeps (names sharing first letters spread)
    let h = hash64(hi, lo) & this.mask;
    for (;;) {
      const s = this.slot[h];
      if (s < 0) break;
      if (this.keyLo[h] === lo && this.keyHi[h] === hi) return s;
      h = (h + 1) & this.mask;
    }
    if (!validSymbol(lo, hi)) return -2;
    if (this.names.length >= this.capacity) {
      this.overflow++;
      return -1;
    }
    const id = this.names.length;
    this.keyLo[h] = lo;
    this.keyHi[h] = hi;
    this.slot[h] = id;
    this.names.push(symbolName(lo, hi));
    return id;
  }

  /** Index of a symbol by name, or -1. */
  find(name: string): number {
    return this.names.indexOf(name);
  }
}
