/**
 * `--bbo-out FILE`: one NDJSON line per change of a stock's best bid or
 * offer, written byte by byte into a reused buffer (no string per line):
 *
 * `{"symbol":"AAPL","time":"2012-06-21T13:30:00.004241176Z","bid":585.33,"bid_size":18,"ask":null,"ask_size":null}`
 *
 * Prices are decimals (dollars; ITCH's 4 implied decimals, trailing zeros
 * trimmed); an empty side is null for price and size; time is ISO-8601 UTC
 * with all nine fraction digits. After an unrecovered sequence gap every
 * line also carries `"stale":true` (the books may be wrong).
 *
 * @example
 * ```ts
 * import { BboWriter } from "./bbo_out.ts";
 * const w = BboWriter.open("/tmp/bbo.ndjson");
 * w.line(0x4c504141, 0x20202020, new Float64Array([1340285400, 4241176]), 5853300, 18, -1, 0, false);
 * w.close();
 * ```
 * @module
 */

const CAP = 1 << 16, FLUSH_AT = CAP - 512;
const enc = new TextEncoder();
const K_SYMBOL = enc.encode('{"symbol":"'), K_TIME = enc.encode('","time":"');
const K_BID = enc.encode('Z","bid":'), K_BID_SIZE = enc.encode(',"bid_size":');
const K_ASK = enc.encode(',"ask":'), K_ASK_SIZE = enc.encode(',"ask_size":');
const K_NULL = enc.encode("null"), K_STALE = enc.encode(',"stale":true');

/** Appends BBO lines to a file. */
export class BboWriter {
  private readonly buf = new Uint8Array(CAP);
  private n = 0;
  private day = -1;
  private readonly date = new Uint8Array(11); // "YYYY-MM-DDT"
  /** lines written */
  lines = 0;

  private constructor(private readonly file: Deno.FsFile) {}

  /** Creates (truncates) `path`. */
  static open(path: string): BboWriter {
    return new BboWriter(Deno.openSync(path, { write: true, create: true, truncate: true }));
  }

  /** One change at `time` = [UTC seconds, ns]: prices in dollars x 10,000 (-1 = empty side). */
  line(
    symLo: number,
    symHi: number,
    time: Float64Array,
    bid: number,
    bidSize: number,
    ask: number,
    askSize: number,
    stale: boolean,
  ): void {
    this.put(K_SYMBOL);
    this.symbol(symLo);
    this.symbol(symHi);
    this.put(K_TIME);
    this.time(time[0], time[1]);
    this.put(K_BID);
    this.side(bid, bidSize, K_BID_SIZE);
    this.put(K_ASK);
    this.side(ask, askSize, K_ASK_SIZE);
    if (stale) this.put(K_STALE);
    this.buf[this.n++] = 0x7d; // }
    this.buf[this.n++] = 0x0a;
    this.lines++;
    if (this.n >= FLUSH_AT) this.flush();
  }

  private side(price: number, size: number, sizeKey: Uint8Array): void {
    if (price < 0) {
      this.put(K_NULL);
      this.put(sizeKey);
      this.put(K_NULL);
      return;
    }
    this.decimal(price);
    this.put(sizeKey);
    this.int(size, 0);
  }

  private put(b: Uint8Array): void {
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  private symbol(w: number): void {
    for (let i = 0; i < 4; i++) {
      const c = (w >>> (8 * i)) & 255;
      if (c !== 0x20 && c !== 0) this.buf[this.n++] = c;
    }
  }

  /** Digits of a non-negative integer, left-padded with zeros to `width`. */
  private int(v: number, width: number): void {
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    if (digits < width) digits = width;
    for (let i = digits - 1; i >= 0; i--) {
      this.buf[this.n + i] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.n += digits;
  }

  /** A 4-decimal fixed-point price as a decimal, trailing zeros trimmed. */
  private decimal(p: number): void {
    const whole = Math.floor(p / 10000);
    let frac = p - whole * 10000, places = 4;
    this.int(whole, 0);
    if (frac === 0) return;
    while (frac % 10 === 0) {
      frac /= 10;
      places--;
    }
    this.buf[this.n++] = 0x2e;
    this.int(frac, places);
  }

  private time(sec: number, nsec: number): void {
    const day = Math.floor(sec / 86400);
    if (day !== this.day) {
      this.day = day;
      enc.encodeInto(new Date(day * 86_400_000).toISOString().slice(0, 11), this.date);
    }
    this.put(this.date);
    const s = sec - day * 86400;
    this.int(Math.floor(s / 3600), 2);
    this.buf[this.n++] = 0x3a;
    this.int(Math.floor(s / 60) % 60, 2);
    this.buf[this.n++] = 0x3a;
    this.int(s % 60, 2);
    this.buf[this.n++] = 0x2e;
    this.int(nsec, 9);
  }

  /** Writes out what is buffered. */
  flush(): void {
    let off = 0;
    while (off < this.n) off += this.file.writeSync(this.buf.subarray(off, this.n));
    this.n = 0;
  }

  close(): void {
    this.flush();
    this.file.close();
  }
}
