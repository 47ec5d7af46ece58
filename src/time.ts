/**
 * Time, in one place: durations on the command line (`250ms`, `1s`, `5m`,
 * `1h`, `1d`, or compound like `13h30m`), ISO-8601 UTC formatting of
 * millisecond instants and of exact seconds + nanoseconds, and the one
 * ISO-8601 parser (up to 9 fractional digits, exact to the nanosecond).
 *
 * @example Durations and window bounds
 * ```ts
 * import { formatIso, parseDuration } from "./time.ts";
 * console.log(parseDuration("13h30m")); // 48600000
 * console.log(formatIso(1340285400000)); // 2012-06-21T13:30:00Z
 * ```
 *
 * @example Nanosecond round trip
 * ```ts
 * import { isoNs, parseIsoNs } from "./time.ts";
 * const t = parseIsoNs("2012-06-21T13:30:00.000000123Z")!;
 * console.log(isoNs(t[0], t[1])); // 2012-06-21T13:30:00.000000123Z
 * ```
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration into whole milliseconds; throws RangeError. */
export function parseDuration(s: string): number {
  const t = s.trim();
  const re = /(\d+)(ms|s|m|h|d)/gy;
  let ms = 0, m: RegExpExecArray | null, end = 0;
  while ((m = re.exec(t)) !== null) {
    ms += Number(m[1]) * UNITS[m[2]];
    end = re.lastIndex;
  }
  if (t === "0") return 0;
  if (end === 0 || end !== t.length) {
    throw new RangeError(`'${s}' is not a duration (e.g. 250ms, 1s, 5m, 1h, 1d, 13h30m)`);
  }
  return ms;
}

/** ISO-8601 UTC of a millisecond instant, with fractional digits only when needed. */
export function formatIso(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith(".000Z") ? s.slice(0, -5) + "Z" : s;
}

// the last second formatted: a feed's ticks mostly share it
let baseSec = NaN, baseIso = "";

/** ISO-8601 UTC of seconds + nanoseconds, exact, trailing zeros trimmed. */
export function isoNs(sec: number, nsec: number): string {
  if (sec !== baseSec) [baseSec, baseIso] = [sec, new Date(sec * 1000).toISOString().slice(0, 19)];
  if (nsec === 0) return `${baseIso}Z`;
  let digits = 9;
  while (nsec % 10 === 0) [nsec, digits] = [nsec / 10, digits - 1];
  return `${baseIso}.${String(nsec).padStart(digits, "0")}Z`;
}

const ISO_NS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * Parses ISO-8601 UTC (`Z`, up to 9 fraction digits) into [seconds,
 * nanoseconds] exactly; undefined when the text is not such a time.
 */
export function parseIsoNs(v: string): [number, number] | undefined {
  const m = ISO_NS.exec(v);
  const ms = m ? Date.parse(`${m[1]}Z`) : NaN;
  if (!m || Number.isNaN(ms)) return undefined;
  // a real calendar date and time: 2026-02-30 or 24:00:00 do not round-trip
  if (new Date(ms).toISOString().slice(0, 19) !== m[1]) return undefined;
  return [ms / 1000, Number((m[2] ?? "").padEnd(9, "0"))];
}

/**
 * Any time a client may send (ISO-8601 in any form `Date.parse` takes, or
 * epoch milliseconds as digits) to epoch milliseconds; NaN when it is none.
 */
export function parseTimeMs(v: string): number {
  if (/^\d+$/.test(v)) return Number(v);
  const ns = parseIsoNs(v);
  if (ns) return ns[0] * 1000 + Math.floor(ns[1] / 1e6);
  return /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
}

const NY_OFFSET = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  timeZoneName: "longOffset",
});

/** UTC offset of New York local time at the instant `utcMs`, in seconds (e.g. -14400 in summer). */
export function newYorkOffsetAt(utcMs: number): number {
  const tz = NY_OFFSET.formatToParts(new Date(utcMs)).find((p) => p.type === "timeZoneName");
  const o = /^GMT([+-])(\d{2}):(\d{2})$/.exec(tz?.value ?? "");
  if (!o) throw new RangeError(`cannot resolve the New York offset at ${formatIso(utcMs)}`);
  return (o[1] === "-" ? -1 : 1) * (Number(o[2]) * 3600 + Number(o[3]) * 60);
}

/** The New York calendar date (YYYY-MM-DD) at the instant `utcMs`. */
export function newYorkDate(utcMs: number): string {
  return new Date(utcMs + newYorkOffsetAt(utcMs) * 1000).toISOString().slice(0, 10);
}

/**
 * Unix seconds of New York local wall-clock time 00:00 (`atHour` 0) or
 * another whole hour on `date` (YYYY-MM-DD), with the offset in force then.
 */
export function newYorkWallUtc(date: string, atHour = 0): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const utcMidnight = m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
  if (Number.isNaN(utcMidnight) || new Date(utcMidnight).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`not a calendar date (YYYY-MM-DD): '${date}'`);
  }
  const guess = utcMidnight + atHour * 3_600_000 + 5 * 3_600_000; // near the local hour
  return utcMidnight / 1000 + atHour * 3600 - newYorkOffsetAt(guess);
}
