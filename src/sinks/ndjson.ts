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
/**
 * Buffered NDJSON file writer. A write that fails (a full disk, a file
 * that refuses writes) never throws: the writer stops, keeps the reason in
 * `error`, and counts every line it could not write in `lost`.
 */
export class NdjsonWriter {
  /** Lines written to the file. */
  lines = 0;
  /** Lines not written because a write failed. */
  lost = 0;
  /** Why writing stopped (undefined while it works). */
  error?: string;
  private buf: string[] = [];
  private readonly enc = new TextEncoder();

  private constructor(private readonly file: Deno.FsFile, readonly path: string) {}

  /** Creates (truncates) the file; throws when it cannot be opened. */
  static open(path: string): NdjsonWriter {
    return new NdjsonWriter(
      Deno.openSync(path, { write: true, create: true, truncate: true }),
      path,
    );
  }

  /** Queues one line. */
  write(line: string): void {
    if (this.error !== undefined) {
      this.lost++;
      return;
    }
    this.buf.push(line);
    if (this.buf.length >= 4096) this.flush();
  }

  /** Writes queued lines. */
  flush(): void {
    if (this.buf.length === 0 || this.error !== undefined) return;
    const data = this.enc.encode(this.buf.join("\n") + "\n");
    const n = this.buf.length;
    this.buf = [];
    try {
      let off = 0;
      while (off < data.length) off += this.file.writeSync(data.subarray(off));
      this.lines += n;
    } catch (e) {
      this.error = (e as Error).message;
      this.lost += n;
    }
  }

  /** Flushes and closes. */
  close(): void {
    this.flush();
    try {
      this.file.close();
    } catch { /* already closed */ }
  }
}

/** Tells once on stderr that a file stopped being written. */
function tellOnce(flag: string, w: NdjsonWriter, told: { done: boolean }): void {
  if (w.error === undefined || told.done) return;
  told.done = true;
  console.error(`tickwire: ${flag} ${w.path}: write failed, no more lines written: ${w.error}`);
}

/** An NDJSON file sink: flushes on every pass, tells once when writing failed. */
export abstract class FileSink implements EventSink {
  private readonly told = { done: false };
  constructor(readonly flag: string, readonly w: NdjsonWriter) {}
  flush(): void {
    this.w.flush();
    tellOnce(this.flag, this.w, this.told);
  }
  close(): void {
    this.w.close();
    tellOnce(this.flag, this.w, this.told);
  }
  /** The summary's words for a failed file, or undefined. */
  failure(): string | undefined {
    if (this.w.error === undefined) return undefined;
    return `${this.flag} ${this.w.path}: write failed after ${this.w.lines} lines ` +
      `(${this.w.lost} lost): ${this.w.error}`;
  }
}

/** `--bars-out`: every final bar and later revision, one line each. */
export class BarsFileSink extends FileSink {
  constructor(w: NdjsonWriter) {
    super("--bars-out", w);
  }
  bar(j: BarJson, ev: BarEvent): void {
    if (j.final) this.w.write(barLine(j, ev));
  }
}

/** `--anomalies-out`: every anomaly, one line each. */
export class AnomaliesFileSink extends FileSink {
  constructor(w: NdjsonWriter) {
    super("--anomalies-out", w);
  }
  anomaly(j: AnomalyJson): void {
    this.w.write(JSON.stringify(j));
  }
}
