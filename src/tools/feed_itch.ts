/**
 * `deno task feed --protocol itch`: a LOBSTER day as Nasdaq ITCH 5.0 over
 * MoldUDP64 (the import rule of src/feeds/itch/from_lobster.ts), sent over
 * UDP to one destination, or to two for A/B lines (`--to` twice, the same
 * packets on both). `--drop-frame N` leaves packet N out on every line,
 * `--drop-frame A:N` / `B:N` on one line only, so receivers can be tested
 * against gaps. `--rate` is in messages per second (0 = flat out).
 * `--rerequest-listen HOST:PORT` answers MoldUDP64 re-requests (session,
 * sequence number, count) with the packets that were sent, during the send
 * and for `--linger` ms after it, so receivers can recover gaps end to end.
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
import { moldPackets, sessionName, type TimedPacket } from "../feeds/itch/capture.ts";
import { MOLD } from "../feeds/itch/spec.ts";

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
  /** serve MoldUDP64 re-requests here */
  rerequestListen?: string;
  /** how long re-requests are served after the last packet, ms */
  lingerMs: number;
}

/** What the re-request server did. */
export interface RerequestServed {
  requests: number;
  /** packets sent in answers */
  packets: number;
  /** requests that were malformed, of another session, or for nothing we sent */
  bad: number;
}

/** At most this many packets answer one request (a bound on what a request costs). */
const MAX_ANSWER = 64;

/** The index of the last packet starting at or before `seq` (-1: none). */
function packetAt(packets: TimedPacket[], seq: number): number {
  let lo = 0, hi = packets.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (packets[mid].seq <= seq) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Answers re-requests from `packets` until `sock` is closed: each request
 * (exactly 20 bytes, this session) gets the packets holding its range, in
 * order, up to MAX_ANSWER of them.
 */
async function serveRerequests(sock: Deno.DatagramConn, packets: TimedPacket[]) {
  const served: RerequestServed = { requests: 0, packets: 0, bad: 0 };
  const data = packets.filter((p) => p.count > 0);
  const session = data[0]?.bytes.subarray(0, 10);
  try {
    for await (const [req, from] of sock) {
      served.requests++;
      const dv = new DataView(req.buffer, req.byteOffset, req.byteLength);
      const ok = req.length === MOLD.request && session !== undefined &&
        req.subarray(0, 10).every((b, i) => b === session[i]);
      const seq = ok ? dv.getUint32(MOLD.seq) * 2 ** 32 + dv.getUint32(MOLD.seq + 4) : 0;
      const end = seq + (ok ? dv.getUint16(MOLD.count) : 0);
      let i = ok ? Math.max(packetAt(data, seq), 0) : data.length, n = 0;
      for (; i < data.length && data[i].seq < end && n < MAX_ANSWER; i++, n++) {
        if (data[i].seq + data[i].count <= seq) continue;
        await sock.send(data[i].bytes, from);
        served.packets++;
      }
      if (n === 0) served.bad++;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.BadResource)) throw e;
  }
  return served;
}

function listenOn(hostport: string): Deno.DatagramConn {
  const a = address(hostport, "--rerequest-listen");
  return Deno.listenDatagram({ transport: "udp", hostname: a.hostname, port: a.port });
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

function address(to: string, flag = "--to") {
  const m = /^(.+):(\d+)$/.exec(to);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`${flag}: expected HOST:PORT, got '${to}'`);
  return { transport: "udp" as const, hostname: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

/** Sends the day; returns what was sent per line. */
export async function publishItch(a: ItchFeedArgs, stop: AbortSignal) {
  if (a.to.length > 2) throw new UsageError("--protocol itch: at most two --to (lines A and B)");
  const drops = parseDrops(a.drops, a.to.length), addrs = a.to.map((t) => address(t));
  const conv = lobsterToItch(await readLobsterRows(a.file), a.symbol);
  const packets = moldPackets(conv.messages, sessionName(a.symbol, a.date), a.date);
  const server = a.rerequestListen !== undefined ? listenOn(a.rerequestListen) : undefined;
  const serving = server ? serveRerequests(server, packets) : undefined;
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
  let rerequests: RerequestServed | undefined;
  if (server) {
    if (!stop.aborted) await new Promise((r) => setTimeout(r, a.lingerMs));
    server.close();
    rerequests = await serving;
  }
  return {
    protocol: "itch",
    messages,
    packets: packets.length,
    lines: sent,
    by_type: conv.byType,
    ...(rerequests ? { rerequests } : {}),
  };
}
