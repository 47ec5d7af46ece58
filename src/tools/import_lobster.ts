/**
 * `deno task import-lobster --in FILE --symbol SYM --date YYYY-MM-DD --out FILE.pcap`
 *
 * Converts a LOBSTER message file into a capture of tickwire frames
 * (Ethernet/IPv4/UDP, nanosecond pcap): executions (types 4 and 5) become
 * trades, other rows are skipped; exact nanosecond times; prices stay
 * dollars x 10,000 (price_exp -4); file order is kept. Prints a JSON
 * summary on stdout.
 * @module
 */
import { parseArgs } from "node:util";
import { LobsterError, readLobster } from "../feeds/lobster.ts";
import { frameTicks, sessionId } from "../feeds/framing.ts";
import { encodeFrame } from "../wire/encode.ts";
import { PcapWriter } from "../net/pcap.ts";
import { packSymbol } from "../wire/frame.ts";

const HELP =
  `Usage: deno task import-lobster --in FILE --symbol SYM --date YYYY-MM-DD --out FILE.pcap

Converts a LOBSTER message file into a pcap of tickwire frames.

  --in FILE        LOBSTER message CSV (time,type,order id,size,price,direction)
  --symbol SYM     instrument symbol, 1-8 ASCII characters
  --date DATE      trading day, YYYY-MM-DD (times are New York local time)
  --out FILE       capture to write
  --udp-port N     UDP destination port of the packets (5555)
  --batch N        most trades per frame; trades sharing a timestamp are
                   grouped (16, max 200)
  --vlan ID        add an 802.1Q VLAN tag
  -h, --help       this text
`;

async function main(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      options: {
        in: { type: "string" },
        symbol: { type: "string" },
        date: { type: "string" },
        out: { type: "string" },
        "udp-port": { type: "string", default: "5555" },
        batch: { type: "string", default: "16" },
        vlan: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    console.error(`import-lobster: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
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
  const port = Number(v["udp-port"]), batch = Number(v.batch);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return usage("--udp-port must be 1..65535");
  }
  if (!Number.isInteger(batch) || batch < 1 || batch > 200) return usage("--batch must be 1..200");
  const vlan = v.vlan === undefined ? undefined : Number(v.vlan);
  if (vlan !== undefined && (!Number.isInteger(vlan) || vlan < 0 || vlan > 4095)) {
    return usage("--vlan must be 0..4095");
  }
  try {
    if (!Deno.statSync(v.in).isFile) return usage(`--in: not a file: ${v.in}`);
  } catch {
    return usage(`--in: file not found: ${v.in}`);
  }
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

if (import.meta.main) Deno.exit(await main(Deno.args));
