/**
 * A full trading day of ITCH for benchmarks and the allocation probe: the
 * three LOBSTER days (AAPL, AMZN, GOOG, 2012-06-21) converted by the
 * import rule, each on its own stock locate, interleaved by time and packed
 * into MoldUDP64 packets, laid out in one buffer like ring records.
 *
 * @example
 * ```ts
 * import { loadItchDay } from "./itch_day.ts";
 * const day = await loadItchDay();
 * console.log(day.messages > 200_000);
 * ```
 * @module
 */
import { readLobsterRows } from "../../src/feeds/lobster.ts";
import { lobsterToItch, type TimedMessage } from "../../src/feeds/itch/from_lobster.ts";
import { moldPackets } from "../../src/feeds/itch/capture.ts";

const DATA = new URL("../../../shared/data/lobster-2012-06-21/", import.meta.url).pathname;
const DAYS = ["AAPL", "AMZN", "GOOG"];

/** Packets of a day, back to back in `bytes` at `offs[i]`, `lens[i]`. */
export interface ItchDay {
  bytes: Uint8Array;
  offs: number[];
  lens: number[];
  messages: number;
}

/** Loads and converts the three days (a few hundred ms). */
export async function loadItchDay(): Promise<ItchDay> {
  const all: TimedMessage[] = [];
  for (const [i, sym] of DAYS.entries()) {
    const rows = await readLobsterRows(`${DATA}${sym}_2012-06-21_34200000_57600000_message_1.csv`);
    for (const m of lobsterToItch(rows, sym).messages) {
      new DataView(m.bytes.buffer).setUint16(1, i + 1); // stock locate
      all.push(m);
    }
  }
  all.sort((a, b) => a.ns - b.ns); // stable: file order within a time
  const packets = moldPackets(all, "BENCHDAY01", "2012-06-21");
  const total = packets.reduce((n, p) => n + p.bytes.length, 0);
  const bytes = new Uint8Array(total), offs: number[] = [], lens: number[] = [];
  let at = 0;
  for (const p of packets) {
    bytes.set(p.bytes, at);
    offs.push(at);
    lens.push(p.bytes.length);
    at += p.bytes.length;
  }
  return { bytes, offs, lens, messages: all.length };
}
