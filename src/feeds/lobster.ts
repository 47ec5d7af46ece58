/**
 * Reads LOBSTER message files (https://lobsterdata.com sample format, no
 * header): time (seconds after midnight, New York local time, up to 9
 * decimals), type, order id, size, price (dollars x 10,000), direction.
 * Executions (types 4 visible and 5 hidden) become trades; other rows are
 * skipped and counted. Times are kept exact to the nanosecond as UTC
 * seconds + nanoseconds; the New York offset (EST/EDT) is taken for the
 * given date from the time-zone database. File order is kept, including
 * among rows that share a timestamp.
 *
 * @example
 * ```ts
 * import { parseLobsterLine, nyOffsetSeconds } from "./lobster.ts";
 * const base = Date.UTC(2012, 5, 21) / 1000 - nyOffsetSeconds("2012-06-21");
 * console.log(parseLobsterLine("34200.004241176,4,1,100,2238200,-1", base, "AMZN"));
 * ```
 * @module
 */
import type { TickInput } from "../wire/encode.ts";
import { newYorkOffsetAt } from "../time.ts";

/** A LOBSTER row could not be read. */
export class LobsterError extends Error {
  override name = "LobsterError";
}

/**
 * UTC offset of New York local time on `date` (YYYY-MM-DD), in seconds
 * (e.g. -14400 in summer). Taken at local noon, inside every trading day.
 */
export function nyOffsetSeconds(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new LobsterError(`date must be YYYY-MM-DD, got '${date}'`);
  const noonUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], 16, 0, 0);
  if (Number.isNaN(noonUtc) || new Date(noonUtc).getUTCDate() !== +m[3]) {
    throw new LobsterError(`not a calendar date: '${date}'`);
  }
  return newYorkOffsetAt(noonUtc);
}

/** Unix seconds of local midnight of `date` in New York. */
export function nyMidnightUtc(date: string): number {
  const [y, mo, d] = date.split("-").map(Number);
  return Date.UTC(y, mo - 1, d) / 1000 - nyOffsetSeconds(date);
}

/** One LOBSTER message row. */
export interface LobsterRow {
  /** ns after New York midnight (exact) */
  ns: number;
  /** 1 submit, 2 partial cancel, 3 delete, 4 visible execution, 5 hidden execution, 6 cross, 7 halt */
  type: number;
  id: number;
  size: number;
  /** dollars x 10,000 (type 7: -1 halt, 0 quoting, 1 trading) */
  price: number;
  /** 1 buy order, -1 sell order */
  dir: number;
}

/** Parses one row of any type; throws LobsterError for a row that is not LOBSTER. */
export function parseLobsterRow(line: string): LobsterRow {
  const f = line.split(",");
  if (f.length < 6) throw new LobsterError(`expected 6 fields, got ${f.length}`);
  const type = Number(f[1]);
  if (!Number.isInteger(type) || type < 1 || type > 7) {
    throw new LobsterError(`bad event type '${f[1]}'`);
  }
  const t = /^(\d+)(?:\.(\d{1,9}))?$/.exec(f[0].trim());
  if (!t) throw new LobsterError(`bad time '${f[0]}'`);
  const id = Number(f[2]), size = Number(f[3]), price = Number(f[4]), dir = Number(f[5]);
  if (!Number.isInteger(id) || id < 0) throw new LobsterError(`bad order id '${f[2]}'`);
  if (!Number.isInteger(size) || size < 0) throw new LobsterError(`bad size '${f[3]}'`);
  if (!Number.isInteger(price) || (type !== 7 && price <= 0)) {
    throw new LobsterError(`bad price '${f[4]}'`);
  }
  if (dir !== 1 && dir !== -1) throw new LobsterError(`bad direction '${f[5]}'`);
  return {
    ns: Number(t[1]) * 1e9 + Number((t[2] ?? "").padEnd(9, "0")),
    type,
    id,
    size,
    price,
    dir,
  };
}

/**
 * Parses one row. Returns a trade for types 4 and 5, null for other rows;
 * throws LobsterError for a row that is not LOBSTER.
 */
export function parseLobsterLine(
  line: string,
  midnightUtc: number,
  symbol: string,
): TickInput | null {
  const r = parseLobsterRow(line);
  if (r.type !== 4 && r.type !== 5) return null;
  if (r.size <= 0) throw new LobsterError(`bad size '${r.size}'`);
  const whole = Math.floor(r.ns / 1e9);
  return {
    sec: midnightUtc + whole,
    nsec: r.ns - whole * 1e9,
    symbol,
    kind: 1,
    price: r.price,
    size: r.size,
    // direction is that of the resting order: a sell order (-1) executed
    // means the buyer was the aggressor.
    side: r.dir === -1 ? 1 : 2,
    priceExp: -4,
  };
}

/** Reads every row of a LOBSTER message file (file order), with line numbers in errors. */
export async function readLobsterRows(path: string): Promise<LobsterRow[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new LobsterError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const rows: LobsterRow[] = [];
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim() === "") continue;
    try {
      rows.push(parseLobsterRow(line));
    } catch (e) {
      throw new LobsterError(`${path}:${lineNo}: ${(e as Error).message}`);
    }
  }
  return rows;
}

/** Counts from reading a file. */
export interface LobsterStats {
  rows: number;
  trades: number;
  skipped: number;
}

/** Reads a whole LOBSTER message file into trades (in file order). */
export async function readLobster(
  path: string,
  symbol: string,
  date: string,
): Promise<{ trades: TickInput[]; stats: LobsterStats }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new LobsterError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const midnight = nyMidnightUtc(date);
  const trades: TickInput[] = [];
  const stats = { rows: 0, trades: 0, skipped: 0 };
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim() === "") continue;
    stats.rows++;
    let t: TickInput | null;
    try {
      t = parseLobsterLine(line, midnight, symbol);
    } catch (e) {
      throw new LobsterError(`${path}:${lineNo}: ${(e as Error).message}`);
    }
    if (t) {
      trades.push(t);
      stats.trades++;
    } else stats.skipped++;
  }
  return { trades, stats };
}
