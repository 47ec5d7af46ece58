/**
 * Packs timed ITCH messages into MoldUDP64 packets (up to 40 messages and
 * 1,400 payload bytes each, so a packet fits a standard Ethernet MTU),
 * numbered from sequence 1, and ends the session with an end-of-session
 * packet. Each packet carries the UTC time of its first message.
 *
 * @example
 * ```ts
 * import { moldPackets } from "./capture.ts";
 * console.log(moldPackets([], "S", "2012-06-21").length); // 1 (end of session)
 * ```
 * @module
 */
import type { TimedMessage } from "./from_lobster.ts";
import { ItchClock } from "./clock.ts";
import { moldPacket } from "./encode.ts";
import { MOLD } from "./spec.ts";

/** A packet and its time. */
export interface TimedPacket {
  sec: number;
  nsec: number;
  /** first sequence number and message count */
  seq: number;
  count: number;
  bytes: Uint8Array;
}

const MAX_BYTES = 1400;

/** Groups messages into packets (file order kept). */
export function moldPackets(
  messages: TimedMessage[],
  session: string,
  date: string,
  maxMessages = 40,
): TimedPacket[] {
  const clock = new ItchClock(date), out: TimedPacket[] = [];
  let seq = 1, i = 0;
  while (i < messages.length) {
    const batch: Uint8Array[] = [];
    let size = MOLD.header;
    while (
      i < messages.length && batch.length < maxMessages &&
      (batch.length === 0 || size + 2 + messages[i].bytes.length <= MAX_BYTES)
    ) {
      size += 2 + messages[i].bytes.length;
      batch.push(messages[i++].bytes);
    }
    clock.set(messages[i - batch.length].ns);
    out.push({
      sec: clock.utc[0],
      nsec: clock.utc[1],
      seq,
      count: batch.length,
      bytes: moldPacket(session, seq, batch),
    });
    seq += batch.length;
  }
  clock.set(messages.at(-1)?.ns ?? 0);
  out.push({
    sec: clock.utc[0],
    nsec: clock.utc[1],
    seq,
    count: 0,
    bytes: moldPacket(session, seq, [], true),
  });
  return out;
}

/** A 10-character MoldUDP64 session name from a symbol and date (e.g. AAPL120621). */
export function sessionName(symbol: string, date: string): string {
  return (symbol.slice(0, 4) + date.replaceAll("-", "").slice(2)).padEnd(10, " ").slice(0, 10);
}
