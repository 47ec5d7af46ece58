/**
 * The `--bars-out` format: one JSON object per line per final bar (and per
 * later revision), prices in instrument units, times ISO-8601 UTC.
 *
 * @example
 * ```ts
 * import { barLine } from "./ndjson.ts";
 * console.log(barLine({
 *   window: 0, symbol: 0, start: 0, end: 60000, open: 2238200, high: 2238200, low: 2238100,
 *   close: 2238100, exp: -4, volume: 30, trades: 2, pv: 67143500, firstSeq: 1, lastSeq: 2,
 *   final: true, filled: false, revision: 0,
 * }, "1m", "AMZN"));
 * ```
 * @module
 */
import type { BarEvent } from "./events.ts";
import { formatIso } from "./duration.ts";

/** Converts a fixed-point integer to instrument units. */
export function scalePrice(v: number, exp: number): number {
  return exp < 0 ? v / 10 ** -exp : v * 10 ** exp;
}

/** A bar as served and written (JSON): prices in instrument units, ISO times. */
export interface BarJson {
  symbol: string;
  window: string;
  start: string;
  end: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
  vwap: number;
  final: boolean;
  revision: number;
  filled: boolean;
}

/** Converts a bar event for the wire. */
export function barJson(b: BarEvent, window: string, symbol: string): BarJson {
  return {
    symbol,
    window,
    start: formatIso(b.start),
    end: formatIso(b.end),
    open: scalePrice(b.open, b.exp),
    high: scalePrice(b.high, b.exp),
    low: scalePrice(b.low, b.exp),
    close: scalePrice(b.close, b.exp),
    volume: b.volume,
    trades: b.trades,
    vwap: b.volume > 0 ? scalePrice(b.pv / b.volume, b.exp) : scalePrice(b.close, b.exp),
    final: b.final,
    revision: b.revision,
    filled: b.filled,
  };
}

/** One NDJSON line (no newline): the bar plus its first and last sequence. */
export function barLine(b: BarEvent, window: string, symbol: string): string {
  return JSON.stringify({
    ...barJson(b, window, symbol),
    first_seq: b.firstSeq,
    last_seq: b.lastSeq,
  });
}

/** Buffered NDJSON file writer. */
export class NdjsonWriter {
  /** Lines written. */
  lines = 0;
  private buf: string[] = [];
  private readonly enc = new TextEncoder();

  private constructor(private readonly file: Deno.FsFile) {}

  /** Creates (truncates) the file. */
  static open(path: string): NdjsonWriter {
    return new NdjsonWriter(Deno.openSync(path, { write: true, create: true, truncate: true }));
  }

  /** Queues one line. */
  write(line: string): void {
    this.buf.push(line);
    this.lines++;
    if (this.buf.length >= 4096) this.flush();
  }

  /** Writes queued lines. */
  flush(): void {
    if (this.buf.length === 0) return;
    const data = this.enc.encode(this.buf.join("\n") + "\n");
    this.buf = [];
    let off = 0;
    while (off < data.length) off += this.file.writeSync(data.subarray(off));
  }

  /** Flushes and closes. */
  close(): void {
    this.flush();
    this.file.close();
  }
}
