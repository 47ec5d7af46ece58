/**
 * Groups ticks into frames the way an exchange gateway does: consecutive
 * ticks that share a timestamp go out together (up to `maxPerFrame`), each
 * frame numbered from the session's running sequence. File order is kept.
 *
 * @example
 * ```ts
 * import { frameTicks } from "./framing.ts";
 * const t = { sec: 1, nsec: 0, symbol: "X", kind: 1, price: 1, size: 1 };
 * console.log([...frameTicks([t, t, { ...t, nsec: 1 }], 7, 16)].length); // 2
 * ```
 * @module
 */
import type { FrameInput, TickInput } from "../wire/encode.ts";

/** Yields frames of ticks, sequence numbers starting at `firstSeq`. */
export function* frameTicks(
  ticks: TickInput[],
  session: number,
  maxPerFrame: number,
  firstSeq = 1,
): Generator<FrameInput> {
  let seq = firstSeq;
  for (let i = 0; i < ticks.length;) {
    let j = i + 1;
    while (
      j < ticks.length && j - i < maxPerFrame && ticks[j].sec === ticks[i].sec &&
      ticks[j].nsec === ticks[i].nsec
    ) j++;
    yield { session, firstSeq: seq, ticks: ticks.slice(i, j) };
    seq += j - i;
    i = j;
  }
}

/** A stable 40-bit session id for a symbol and date (FNV-1a). */
export function sessionId(symbol: string, date: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${symbol}@${date}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return (h >>> 0) * 256 + (symbol.length & 255);
}
