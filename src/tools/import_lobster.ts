/**
 * `deno task import-lobster --in FILE --symbol SYM --date YYYY-MM-DD --out FILE.pcap [--format itch]`
 *
 * Converts a LOBSTER message file into a capture (Ethernet/IPv4/UDP,
 * nanosecond pcap). `--format tickwire` (default): tickwire frames of the
 * executions (types 4 and 5), other rows skipped; exact nanosecond times;
 * prices stay dollars x 10,000 (price_exp -4). `--format itch`: every row
 * as Nasdaq TotalView-ITCH 5.0 over MoldUDP64 (src/feeds/itch/from_lobster.ts
 * gives the rule). File order is kept. Prints a JSON summary on stdout.
 * @module
 */
import { parseArgs } from "node:util";
import { LobsterError, nyMidnightUtc, readLobster } from "../feeds/lobster.ts";
import { frameTicks, sessionId } from "../feeds/framing.ts";
import { encodeFrame } from "../wire/encode.ts";
import { PcapWriter } from "../net/pcap.ts";
import { packSymbol } from "../wire/frame.ts";
import { readLobsterRows } from "../feeds/lobster.ts";
import { lobsterToItch } from "../feeds/itch/from_lobster.ts";
import { moldPackets, sessionName } from "../feeds/itch/capture.ts";

const HELP =
  `Usage: deno task import-lobster --in FILE --symbol SYM --date YYYY-MM-DD --out FILE.pcap

Converts a LOBSTER message file into a pcap of tickwire frames, or of
Nasdaq TotalView-ITCH 5.0 messages over MoldUDP64 (--format itch).

  --in FILE        LOBSTER message CSV (time,type,order id,size,price,direction)
  --symbol SYM     instrument symbol, 1-8 ASCII characters
  --date DATE      trading day, YYYY-MM-DD (times are New York local time)
  --out FILE       capture to write
  --format F       tickwire (default): trades (types 4, 5) as tickwire frames
                   itch: every row as ITCH 5.0 over MoldUDP64 (an R first,
                   1 A, 2 X, 3 D, 4 E, 5 P, 6 Q, 7 H; an A is made for
                   orders the file references before any type-1 row)
  --udp-port N     UDP destination port of the packets (5555)
  --batch N        tickwire: most trades per frame; trades sharing a
                   timestamp are grouped (16, max 200); itch: most
                   messages per packet (40, max 40; at most 1,400 bytes)
  --vlan ID        add an 802.1Q VLAN tag
  -h, --help       this text
`;

/** The command line's values, or an exit code (usage printed). */
function readArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      options: {
        in: { type: "string" },
        symbol: { type: "string" },
        date: { type: "string" },
        out: { type: "string" },
        "udp-port": { type: "string", default: "5555" },
        batch: { type: "string" },
        format: { type: "string", default: "tickwire" },
        vlan: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    console.error(`import-lobster: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
}

async function main(argv: string[]): Promise<number> {
  const v = readArgs(argv);
  if (typeof v === "number") return v;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const usage = (m: string) => {
    console.error(`import-lobster: ${m}\nRun with --help for usage.`);
    return 2;
  };
  if (!v.in || !v.symbol || !v.date || !v.out) {
    return usage("--in, --symbol, --date and --out are required");
  }
  try {
    packSymbol(v.symbol);
  } catch (e) {
    return usage((e as Error).message);
  }
  if (v.format !== "tickwire" && v.format !== "itch") {
    return usage(`--format must be tickwire or itch, got '${v.format}'`);
  }
  const itch = v.format === "itch", maxBatch = itch ? 40 : 200;
  const port = Number(v["udp-port"]), batch = Number(v.batch ?? (itch ? 40 : 16));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return usage("--udp-port must be 1..65535");
  }
  if (!Number.isInteger(batch) || batch < 1 || batch > maxBatch) {
    return usage(`--batch must be 1..${maxBatch}`);
  }
  const vlan = v.vlan === undefined ? undefined : Number(v.vlan);
  if (vlan !== undefined && (!Number.isInteger(vlan) || vlan < 0 || vlan > 4095)) {
    return usage("--vlan must be 0..4095");
  }
  try {
    if (!Deno.statSync(v.in).isFile) return usage(`--in: not a file: ${v.in}`);
  } catch {
    return usage(`--in: file not found: ${v.in}`);
  }
  if (itch) return await importItch(v.in, v.symbol, v.date, v.out, { dstPort: port, vlan }, batch);
  let read;
  try {
    read = await readLobster(v.in, v.symbol, v.date);
  } catch (e) {
    if (e instanceof LobsterError) return usage(e.message);
    throw e;
  }
  const w = await PcapWriter.create(v.out, { dstPort: port, vlan });
  let frames = 0, volume = 0;
  for (const f of frameTicks(read.trades, sessionId(v.symbol, v.date), batch)) {
    w.write(encodeFrame(f), f.ticks[0].sec, f.ticks[0].nsec);
    frames++;
    for (const t of f.ticks) volume += t.size;
    await w.flush(1 << 20);
  }
  await w.close();
  console.log(JSON.stringify({
    out: v.out,
    rows: read.stats.rows,
    trades: read.stats.trades,
    skipped: read.stats.skipped,
    frames,
    volume,
    session: sessionId(v.symbol, v.date),
  }));
  return 0;
}

/** --format itch: the whole file as MoldUDP64/ITCH packets. */
async function importItch(
  input: string,
  symbol: string,
  date: string,
  out: string,
  net: { dstPort: number; vlan?: number },
  batch: number,
): Promise<number> {
  let rows;
  try {
    rows = await readLobsterRows(input);
    nyMidnightUtc(date); // checks the date
  } catch (e) {
    if (e instanceof LobsterError) {
      console.error(`import-lobster: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const conv = lobsterToItch(rows, symbol);
  const session = sessionName(symbol, date);
  const packets = moldPackets(conv.messages, session, date, batch);
  const w = await PcapWriter.create(out, net);
  for (const p of packets) {
    w.write(p.bytes, p.sec, p.nsec);
    await w.flush(1 << 20);
  }
  await w.close();
  console.log(JSON.stringify({
    out,
    format: "itch",
    rows: rows.length,
    messages: conv.messages.length,
    by_type: conv.byType,
    synthesized_adds: conv.synthesizedAdds,
    packets: packets.length,
    session,
    first_seq: 1,
    last_seq: conv.messages.length,
  }));
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
