/**
 * The trading date ITCH times count from: `--itch-date`, else the New York
 * date of a capture's first packet, else today in New York (a live feed).
 *
 * @example
 * ```ts
 * import { itchDate } from "./date.ts";
 * console.log(itchDate("2012-06-21")); // 2012-06-21
 * ```
 * @module
 */
import { newYorkDate } from "../../time.ts";

/** Unix ms of the first packet of a classic pcap file, or undefined (empty, not pcap). */
export function firstPacketMs(path: string): number | undefined {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, { read: true });
  } catch {
    return undefined;
  }
  try {
    const b = new Uint8Array(32);
    let n = 0;
    while (n < 32) {
      const k = f.readSync(b.subarray(n));
      if (k === null || k === 0) return undefined;
      n += k;
    }
    const dv = new DataView(b.buffer);
    const magic = dv.getUint32(0, true);
    const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    const be = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
    if (!le && !be) return undefined;
    const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
    const sec = dv.getUint32(24, le), frac = dv.getUint32(28, le);
    return sec * 1000 + Math.floor(frac / (nanos ? 1e6 : 1e3));
  } finally {
    f.close();
  }
}

/** Resolves the trading date (YYYY-MM-DD). */
export function itchDate(explicit?: string, capture?: string, now = Date.now()): string {
  if (explicit !== undefined) return explicit;
  const first = capture === undefined ? undefined : firstPacketMs(capture);
  return newYorkDate(first ?? now);
}
