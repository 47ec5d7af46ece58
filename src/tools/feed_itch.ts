/**
 * `deno task feed --protocol itch`: a LOBSTER day as Nasdaq ITCH 5.0 over
 * MoldUDP64 (the import rule of src/feeds/itch/from_lobster.ts), sent over
 * UDP to one destination, or to two for A/B lines (`--to` twice, the same
 * packets on both). `--drop-frame N` leaves packet N out on every line,
 * `--drop-frame A:N` / `B:N` on one line only, so receivers can be tested
 * against gaps. `--rate` is in messages per second (0 = flat out).
 *
 * @example
 * ```ts
 * import { parseDrops } from "./feed_itch.ts";
 * console.log(parseDrops(["7", "B:9"], 2)); // [ Set { 7 }, Set { 7, 9 } ]
 * ```
 * @module
 */
import { UsageError } from "../cli/table.ts";
import { readLobsterRows } from "../feeds/lobster.ts";
import { lobsterToItch } from "../feeds/itch/from_lobster.ts";
import { moldPackets, sessionName } from "../feeds/itch/capture.ts";

/** What the ITCH publisher needs. */
export interface ItchFeedArgs {
  to: string[];
  file: string;
  symbol: string;
  date: string;
  /** messages per second, 0 = flat out */
  rate: number;
  /** `--drop-frame` values as given */
  drops: string[];
  quiet: boolean;
}

/** Packets (1-based) each line leaves out. */
export function parseDrops(drops: string[], lines: number): Set<number>[] {
  const out = Array.from({ length: lines }, () => new Set<number>());
  for (const d of drops) {
    const m = /^(?:([AB]):)?(\d+)$/.exec(d);
    const line = m?.[1] === undefined ? -1 : m[1] === "A" ? 0 : 1;
    if (!m || Number(m[2]) < 1 || line >= lines) {
      throw new UsageError(`--drop-frame: expected N or A:N / B:N (with two --to), got '${d}'`);
    }
    for (const [i, s] of out.entries()) if (line < 0 || line === i) s.add(Number(m[2]));
  }
  return out;
}

function address(to: string) {
  const m = /^(.+):(\d+)$/.exec(to);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--to: expected HOST:PORT, got '${to}'`);
  return { transport: "udp" as const, hostname: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

/** Sends the day; returns what was sent per line. */
export async function publishItch(a: ItchFeedArgs, stop: AbortSignal) {
  if (a.to.length > 2) throw new UsageError("--protocol itch: at most two --to (lines A and B)");
  const drops = parseDrops(a.drops, a.to.length), addrs = a.to.map(address);
  const conv = lobsterToItch(await readLobsterRows(a.file), a.symbol);
  const packets = moldPackets(conv.messages, sessionName(a.symbol, a.date), a.date);
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const sent = a.to.map(() => ({ packets: 0, dropped: 0 }));
  const t0 = performance.now();
  let messages = 0;
  try {
    for (const [k, p] of packets.entries()) {
      if (stop.aborted) break;
      if (a.rate > 0) {
        const ahead = t0 + (messages / a.rate) * 1000 - performance.now();
        if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
      }
      for (const [i, to] of addrs.entries()) {
        if (drops[i].has(k + 1)) sent[i].dropped++;
        else {
          await sock.send(p.bytes, to);
          sent[i].packets++;
        }
      }
      messages += p.count;
      if (!a.quiet && k % 1000 === 999) console.error(`feed: ${k + 1}/${packets.length} packets`);
    }
  } finally {
    sock.close();
  }
  return { protocol: "itch", messages, packets: packets.length, lines: sent, by_type: conv.byType };
}
