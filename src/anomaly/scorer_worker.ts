/**
 * The scoring Worker: reads feature rows from the rows ring, scores them
 * with onnxruntime in micro-batches (at most `maxBatch` rows, waiting at
 * most `maxWaitMs` for a batch to fill), and posts the rows whose score
 * passes the threshold and that no rule already explained. Off the
 * per-tick path: the pipeline only writes rows; an inference error is
 * counted, never fatal.
 * @module
 */
import * as ort from "onnxruntime-node";
import { RingConsumer } from "../ring/ring.ts";
import { FEATURES } from "./features.ts";
import { RW } from "./rows.ts";
import { native } from "../native/lib.ts";
import { type ModelFlag, type ScorerStart, ScorerStat } from "./scorer.ts";

declare const self: Worker & { close(): void };

const S = ScorerStat;

self.onmessage = async (e: MessageEvent<ScorerStart>) => {
  const m = e.data;
  // one thread: this Worker is the scorer's thread; onnxruntime's own pool (one thread per core,
  // spinning between runs) would compete with the pipeline Worker for the same cores
  const session = await ort.InferenceSession.create(m.model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const ring = new RingConsumer(m.rows);
  const f64 = new Float64Array(m.rows, 0, m.rows.byteLength >> 3);
  const feats = new Float32Array(m.maxBatch * FEATURES);
  const meta = new Float64Array(m.maxBatch * 5);
  const rx = new Float64Array(m.maxBatch);
  const now = native().symbols.tw_now_ns;
  let n = 0, first = 0;
  const take = (_b: Uint8Array, off: number) => {
    const b = off >> 3;
    for (let k = 0; k < FEATURES; k++) feats[n * FEATURES + k] = f64[b + RW.features + k];
    meta[n * 5] = f64[b + RW.symbol];
    meta[n * 5 + 1] = f64[b + RW.sec];
    meta[n * 5 + 2] = f64[b + RW.nsec];
    meta[n * 5 + 3] = f64[b + RW.seq];
    meta[n * 5 + 4] = f64[b + RW.rule];
    rx[n] = f64[b + RW.rx];
    n++;
  };
  const score = async () => {
    const t0 = performance.now();
    try {
      const out = await session.run({
        features: new ort.Tensor("float32", feats.slice(0, n * FEATURES), [n, FEATURES]),
      });
      const s = out.score.data as Float32Array;
      const flags: ModelFlag[] = [];
      for (let i = 0; i < n; i++) {
        if (s[i] > m.threshold && meta[i * 5 + 4] === 0) {
          flags.push({
            symbol: meta[i * 5],
            sec: meta[i * 5 + 1],
            nsec: meta[i * 5 + 2],
            seq: meta[i * 5 + 3],
            score: s[i],
            features: Array.from(
              feats.subarray(i * FEATURES, (i + 1) * FEATURES),
              (x) => Number(x.toFixed(3)),
            ),
          });
        }
      }
      // added latency: from receive (C rx stamp) to the score being known
      const t = now();
      for (let i = 0; i < n; i++) {
        if (rx[i] <= 0) continue;
        const lat = t - rx[i];
        m.stats[S.latencySumNs] += lat;
        if (lat > m.stats[S.latencyMaxNs]) m.stats[S.latencyMaxNs] = lat;
      }
      m.stats[S.scored] += n;
      m.stats[S.lastScoredNs] = t;
      m.stats[S.flagged] += flags.length;
      if (flags.length) self.postMessage({ type: "flags", flags });
    } catch {
      m.stats[S.errors]++;
    }
    m.stats[S.batches]++;
    m.stats[S.scoreNs] += (performance.now() - t0) * 1e6;
    n = 0;
  };
  for (;;) {
    const got = ring.poll(take, m.maxBatch - n);
    if (n > 0 && got > 0 && first === 0) first = performance.now();
    if (n >= m.maxBatch || (n > 0 && performance.now() - first >= m.maxWaitMs)) {
      await score();
      first = 0;
      continue;
    }
    if (got === 0) {
      if (Atomics.load(m.control, 0) === 1 && ring.drained()) {
        if (n > 0) await score();
        break;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  self.postMessage({ type: "done" });
  self.close();
};
