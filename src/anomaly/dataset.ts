/**
 * Feature rows from the synthetic generator (the same C generator as the
 * default feed), through the same FrameReader, SymbolTable and
 * FeatureExtractor as the pipeline, with each row's ground-truth label.
 *
 * @example
 * ```ts ignore
 * const d = syntheticRows({ seed: 1, count: 10_000 });
 * console.log(d.rows.length / 8); // 10000
 * ```
 * @module
 */
import { createRing, RingConsumer } from "../ring/ring.ts";
import { NativeFeed } from "../native/feed.ts";
import { FrameReader } from "../wire/frame.ts";
import { SymbolTable } from "../wire/symbols.ts";
import { FeatureExtractor, FEATURES } from "./features.ts";
import { readLobster } from "../feeds/lobster.ts";
import { encodeFrame } from "../wire/encode.ts";

/** Rows and labels. */
export interface Rows {
  rows: Float32Array;
  labels: Uint8Array;
  /** event time of each row, seconds */
  times: Float64Array;
  count: number;
}

/** Generates `count` synthetic ticks and their features. */
export function syntheticRows(
  o: { seed: number; count: number; anomalies?: number; symbols?: number },
): Rows {
  const ring = createRing(1 << 26, 4096);
  const feed = NativeFeed.start("synth", ring, {
    seed: o.seed,
    count: o.count,
    rate: 0,
    symbols: o.symbols ?? 8,
    anomalies: o.anomalies ?? 0,
    start_ns: "1767364200000000000", // 2026-01-02T14:30:00Z: fixed, so rows are reproducible
    policy: "block",
  });
  const c = new RingConsumer(ring);
  const r = new FrameReader();
  const syms = new SymbolTable(4096);
  const fx = new FeatureExtractor(4096);
  const rows = new Float32Array(o.count * FEATURES), labels = new Uint8Array(o.count);
  const times = new Float64Array(o.count);
  let n = 0;
  while (!c.drained()) {
    c.poll((b, off, len) => {
      const k = r.open(b, off, len);
      for (let i = 0; i < k && n < o.count; i++) {
        const t = r.tick(i);
        const sym = syms.intern(t.symbolLo(), t.symbolHi());
        fx.extract(sym, t, rows, n * FEATURES);
        labels[n] = t.label();
        times[n] = t.tsSec() + t.tsNsec() / 1e9;
        n++;
      }
    });
  }
  feed.stop();
  return {
    rows: rows.subarray(0, n * FEATURES),
    labels: labels.subarray(0, n),
    times: times.subarray(0, n),
    count: n,
  };
}

/** Feature rows of a LOBSTER trading day (trades only), in file order. */
export async function lobsterRows(path: string, symbol: string, date: string): Promise<Rows> {
  const { trades } = await readLobster(path, symbol, date);
  const fx = new FeatureExtractor(1);
  const r = new FrameReader();
  const rows = new Float32Array(trades.length * FEATURES), labels = new Uint8Array(trades.length);
  const times = new Float64Array(trades.length);
  for (let i = 0; i < trades.length; i++) {
    const b = encodeFrame({ session: 1, firstSeq: i + 1, ticks: [trades[i]] });
    r.open(b, 0, b.length);
    fx.extract(0, r.tick(0), rows, i * FEATURES);
    times[i] = trades[i].sec + trades[i].nsec / 1e9;
  }
  return { rows, labels, times, count: trades.length };
}

/** Concatenates row sets. */
export function concatRows(...sets: Rows[]): Rows {
  const count = sets.reduce((a, s) => a + s.count, 0);
  const out: Rows = {
    rows: new Float32Array(count * FEATURES),
    labels: new Uint8Array(count),
    times: new Float64Array(count),
    count,
  };
  let n = 0;
  for (const s of sets) {
    out.rows.set(s.rows.subarray(0, s.count * FEATURES), n * FEATURES);
    out.labels.set(s.labels.subarray(0, s.count), n);
    out.times.set(s.times.subarray(0, s.count), n);
    n += s.count;
  }
  return out;
}
