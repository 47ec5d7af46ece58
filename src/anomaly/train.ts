/**
 * `deno task train`: trains the anomaly model and writes
 * `src/anomaly/model/anomaly.onnx` and `anomaly.json` (recipe, seed, data,
 * threshold). Deterministic: the same seed gives the same bytes.
 *
 * Recipe: features of 200,000 clean synthetic ticks (seed S) and of the
 * LOBSTER AAPL day (trades, twice) are standardised; an 8-5-8 tanh autoencoder is trained with Adam (lr 0.003,
 * batch 256, 4 epochs, weights initialised from the seed); the anomaly
 * score is the mean squared reconstruction error. The threshold is the
 * larger of the (1 - 1e-4) quantile of the scores of 200,000 other clean
 * synthetic ticks (seed S + 1) and the (1 - 5e-4) quantile on a second
 * real day (LOBSTER AMZN), computed by onnxruntime. GOOG stays unseen.
 *
 * Usage: deno task train [--seed N] [--out DIR] [--count N]
 * @module
 */
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { FEATURE_NAMES, FEATURES } from "./features.ts";
import { concatRows, lobsterRows, syntheticRows } from "./dataset.ts";

const LOBSTER_DIR = new URL("../../../shared/data/lobster-2012-06-21/", import.meta.url).pathname;
import { autoencoderOnnx, type AutoencoderParams } from "./onnx.ts";

/** What anomaly.json holds. */
export interface ModelMeta {
  format: 1;
  features: string[];
  threshold: number;
  target_false_alarm_rate: number;
  holdout_false_alarm_rate: number;
  seed: number;
  recipe: Record<string, unknown>;
  data: Record<string, unknown>;
  sha256: string;
}

const HIDDEN = 5, EPOCHS = 4, BATCH = 256, LR = 0.003, TARGET_FAR = 1e-4, REAL_FAR = 5e-4;

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Trains; returns the parameters. */
export function train(rows: Float32Array, n: number, seed: number): AutoencoderParams {
  const F = FEATURES, H = HIDDEN;
  const mean = new Float32Array(F), std = new Float32Array(F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) mean[f] += rows[i * F + f] / n;
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) std[f] += (rows[i * F + f] - mean[f]) ** 2 / n;
  }
  for (let f = 0; f < F; f++) std[f] = Math.sqrt(std[f]) || 1;
  const rnd = prng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const w1 = Float64Array.from({ length: F * H }, () => gauss() * Math.sqrt(1 / F));
  const w2 = Float64Array.from({ length: H * F }, () => gauss() * Math.sqrt(1 / H));
  const b1 = new Float64Array(H), b2 = new Float64Array(F);
  const params = [w1, b1, w2, b2];
  const m = params.map((p) => new Float64Array(p.length)),
    v = params.map((p) => new Float64Array(p.length));
  const g = params.map((p) => new Float64Array(p.length));
  const z = new Float64Array(F),
    a = new Float64Array(H),
    h = new Float64Array(H),
    r = new Float64Array(F);
  const d = new Float64Array(F), dh = new Float64Array(H);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let step = 0;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let i = n - 1; i > 0; i--) { // seeded shuffle
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let s = 0; s + BATCH <= n; s += BATCH) {
      for (const gg of g) gg.fill(0);
      for (let k = 0; k < BATCH; k++) {
        const row = order[s + k] * F;
        for (let f = 0; f < F; f++) z[f] = (rows[row + f] - mean[f]) / std[f];
        for (let j = 0; j < H; j++) {
          let x = b1[j];
          for (let f = 0; f < F; f++) x += z[f] * w1[f * H + j];
          a[j] = x;
          h[j] = Math.tanh(x);
        }
        for (let f = 0; f < F; f++) {
          let x = b2[f];
          for (let j = 0; j < H; j++) x += h[j] * w2[j * F + f];
          r[f] = x;
          d[f] = (2 * (r[f] - z[f])) / F / BATCH;
        }
        dh.fill(0);
        for (let j = 0; j < H; j++) {
          for (let f = 0; f < F; f++) {
            g[2][j * F + f] += h[j] * d[f];
            dh[j] += w2[j * F + f] * d[f];
          }
          dh[j] *= 1 - h[j] * h[j];
        }
        for (let f = 0; f < F; f++) g[3][f] += d[f];
        for (let f = 0; f < F; f++) for (let j = 0; j < H; j++) g[0][f * H + j] += z[f] * dh[j];
        for (let j = 0; j < H; j++) g[1][j] += dh[j];
      }
      step++;
      for (let p = 0; p < params.length; p++) { // Adam
        const P = params[p], G = g[p], M = m[p], V = v[p];
        for (let i = 0; i < P.length; i++) {
          M[i] = 0.9 * M[i] + 0.1 * G[i];
          V[i] = 0.999 * V[i] + 0.001 * G[i] * G[i];
          const mh = M[i] / (1 - 0.9 ** step), vh = V[i] / (1 - 0.999 ** step);
          P[i] -= (LR * mh) / (Math.sqrt(vh) + 1e-8);
        }
      }
    }
  }
  void a;
  return {
    mean,
    std,
    hidden: H,
    w1: Float32Array.from(w1),
    b1: Float32Array.from(b1),
    w2: Float32Array.from(w2),
    b2: Float32Array.from(b2),
  };
}

/** Scores rows with an onnxruntime session, in batches. */
export async function scoreAll(
  session: ort.InferenceSession,
  rows: Float32Array,
  n: number,
): Promise<Float32Array> {
  const out = new Float32Array(n);
  for (let s = 0; s < n; s += 4096) {
    const k = Math.min(4096, n - s);
    const res = await session.run({
      features: new ort.Tensor("float32", rows.slice(s * FEATURES, (s + k) * FEATURES), [
        k,
        FEATURES,
      ]),
    });
    out.set(res.score.data as Float32Array, s);
  }
  return out;
}

async function sha256(b: Uint8Array): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return Array.from(h, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Trains, calibrates and writes the model; returns its metadata. */
export async function trainModel(seed: number, count: number, outDir: string): Promise<ModelMeta> {
  // Normal data: clean synthetic ticks, and one real trading day (LOBSTER
  // AAPL, trades only) so real tapes are in-distribution; AMZN and GOOG are
  // kept for evaluation.
  const real = await lobsterRows(
    `${LOBSTER_DIR}AAPL_2012-06-21_34200000_57600000_message_1.csv`,
    "AAPL",
    "2012-06-21",
  );
  const trainSet = concatRows(syntheticRows({ seed, count }), real, real);
  const params = train(trainSet.rows, trainSet.count, seed);
  const bytes = autoencoderOnnx(params);
  const session = await ort.InferenceSession.create(bytes);
  // Threshold: the stricter of the synthetic holdout's (1 - 1e-4) quantile
  // and a second real day's (AMZN) (1 - 5e-4) quantile.
  const hold = syntheticRows({ seed: seed + 1, count });
  const q = (scores: Float32Array, p: number) => {
    const s = Float32Array.from(scores).sort();
    return s[Math.min(s.length - 1, Math.floor(p * s.length))];
  };
  const scores = await scoreAll(session, hold.rows, hold.count);
  const amzn = await lobsterRows(
    `${LOBSTER_DIR}AMZN_2012-06-21_34200000_57600000_message_1.csv`,
    "AMZN",
    "2012-06-21",
  );
  const realScores = await scoreAll(session, amzn.rows, amzn.count);
  const threshold = Math.max(q(scores, 1 - TARGET_FAR), q(realScores, 1 - REAL_FAR));
  let above = 0;
  for (const s of scores) if (s > threshold) above++;
  const meta: ModelMeta = {
    format: 1,
    features: FEATURE_NAMES,
    threshold: Number(threshold.toPrecision(7)),
    target_false_alarm_rate: TARGET_FAR,
    holdout_false_alarm_rate: above / hold.count,
    seed,
    recipe: {
      model: `autoencoder ${FEATURES}-${HIDDEN}-${FEATURES}, tanh`,
      score: "mean squared reconstruction error of the standardised features",
      optimizer: "Adam",
      learning_rate: LR,
      batch: BATCH,
      epochs: EPOCHS,
      init: "normal, variance 1/fan-in, from the seed (mulberry32)",
      opset: 13,
    },
    data: {
      train:
        `${count} clean synthetic ticks (synth feed seed ${seed}, 8 symbols, start 2026-01-02T14:30:00Z) ` +
        `and the ${real.count} trades of LOBSTER AAPL 2012-06-21 (../shared/data/lobster-2012-06-21), twice`,
      holdout: `${hold.count} clean synthetic ticks, synth feed seed ${seed + 1}`,
      threshold:
        `the larger of the ${1 - TARGET_FAR} quantile of the synthetic holdout scores and the ` +
        `${1 - REAL_FAR} quantile of LOBSTER AMZN 2012-06-21 (${amzn.count} trades) (onnxruntime)`,
    },
    sha256: await sha256(bytes),
  };
  await Deno.mkdir(outDir, { recursive: true });
  await Deno.writeFile(`${outDir}/anomaly.onnx`, bytes);
  await Deno.writeTextFile(`${outDir}/anomaly.json`, JSON.stringify(meta, null, 2) + "\n");
  return meta;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seed: { type: "string", default: "42" },
      count: { type: "string", default: "200000" },
      out: { type: "string", default: new URL("./model", import.meta.url).pathname },
    },
  });
  const seed = Number(values.seed), count = Number(values.count);
  if (!Number.isInteger(seed) || seed < 1 || !Number.isInteger(count) || count < 10_000) {
    console.error("usage: deno task train [--seed N>=1] [--count N>=10000] [--out DIR]");
    Deno.exit(2);
  }
  console.error(`train: seed ${seed}, ${count} ticks -> ${values.out}`);
  const meta = await trainModel(seed, count, values.out);
  console.log(
    JSON.stringify({
      threshold: meta.threshold,
      holdout_false_alarm_rate: meta.holdout_false_alarm_rate,
      sha256: meta.sha256,
    }),
  );
}
