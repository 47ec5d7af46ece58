/**
 * Buffered NDJSON file writing, for `--bars-out` and `--anomalies-out`
 * (the line shapes live in `server/messages.ts`).
 *
 * @example
 * ```ts
 * import { NdjsonWriter } from "./ndjson.ts";
 * const w = NdjsonWriter.open(await Deno.makeTempFile());
 * w.write('{"a":1}');
 * w.close();
 * console.log(w.lines); // 1
 * ```
 * @module
 */
import type { EventSink } from "./sink.ts";
import type { BarEvent } from "../bars/bar.ts";
import { type AnomalyJson, type BarJson, barLine } from "../server/messages.ts";
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

/** `--bars-out`: every final bar and later revision, one line each. */
export class BarsFileSink implements EventSink {
  constructor(private readonly w: NdjsonWriter) {}
  bar(j: BarJson, ev: BarEvent): void {
    if (j.final) this.w.write(barLine(j, ev));
  }
  flush(): void {
    this.w.flush();
  }
  close(): void {
    this.w.close();
  }
  /** Lines written. */
  get lines(): number {
    return this.w.lines;
  }
}

/** `--anomalies-out`: every anomaly, one line each. */
export class AnomaliesFileSink implements EventSink {
  constructor(private readonly w: NdjsonWriter) {}
  anomaly(j: AnomalyJson): void {
    this.w.write(JSON.stringify(j));
  }
  flush(): void {
    this.w.flush();
  }
  close(): void {
    this.w.close();
  }
}
