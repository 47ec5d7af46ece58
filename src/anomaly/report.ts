/**
 * `deno task anomaly:report`: measures the anomaly detector (rules + the
 * ONNX model, the same modules the pipeline runs) and writes
 * bench/results/anomaly_report.{json,md}:
 *
 * 1. synthetic data with injected, labelled anomalies (a seed kept apart
 *    from training): precision, recall and F1 per kind, detection delay;
 * 2. the real LOBSTER days: flags per hour and what they were;
 * 3. the NAB series (labelled by others): windows hit and false positives,
 *    beside a robust z-score baseline.
 *
 * Usage: deno task anomaly:report [--seed N] [--count N] [--out DIR]
 * @module
 */
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { createRing, RingConsumer } from "../ring/ring.ts";
import { NativeFeed } from "../native/feed.ts";
import { FrameReader } from "../wire/frame.ts";
import { encodeFrame, type TickInput } from "../wire/encode.ts";
import type { Tick } from "../wire/generated/tickwire_generated.ts";
import { SymbolTable } from "../wire/symbols.ts";
import { FeatureExtractor, FEATURES } from "./features.ts";
import { AnomalyRules } from "./rules.ts";
import { ANOMALY_KIND_NAMES, LABEL_NAMES } from "../wire/enums.ts";
import { DEFAULT_MODEL, loadModel } from "./model.ts";
import { readLobster } from "../feeds/lobster.ts";

const SHARED = new URL("../../../shared/data/", import.meta.url).pathname;

/** Runs rules + model over a tick stream, in order; returns per tick kind ("" = none). */
class Detector {
  readonly syms = new SymbolTable(4096);
  readonly fx = new FeatureExtractor(4096);
  readonly rules = new AnomalyRules(4096);
  private readonly rows: number[] = [];
  private readonly pending: { i: number; warm: boolean; rule: number }[] = [];
  private readonly buf = new Float32Array(FEATURES);
  readonly kinds: string[] = [];
  readonly scores: number[] = [];
  constructor(private readonly session: ort.InferenceSession, private readonly threshold: number) {}

  tick(t: Tick): void {
    const sym = this.syms.intern(t.symbolLo(), t.symbolHi());
    const flagged = t.kind() === 1 ? this.rules.trade(sym, t) : this.rules.quote(sym, t);
    const warm = this.fx.warm(sym);
    this.fx.extract(sym, t, this.buf, 0);
    this.rows.push(...this.buf);
    this.pending.push({ i: this.kinds.length, warm, rule: flagged ? this.rules.kind : 0 });
    this.kinds.push(flagged ? ANOMALY_KIND_NAMES[this.rules.kind] : "");
    this.scores.push(0);
  }

  async flush(): Promise<void> {
    for (let s = 0; s < this.pending.length; s += 4096) {
      const k = Math.min(4096, this.pending.length - s);
      const out = await this.session.run({
        features: new ort.Tensor(
          "float32",
          Float32Array.from(this.rows.slice(s * FEATURES, (s + k) * FEATURES)),
          [k, FEATURES],
        ),
      });
      const sc = out.score.data as Float32Array;
      for (let j = 0; j < k; j++) {
        const p = this.pending[s + j];
        this.scores[p.i] = sc[j];
        if (p.rule === 0 && p.warm && sc[j] > this.threshold) this.kinds[p.i] = "unexplained";
      }
    }
    this.rows.length = 0;
    this.pending.length = 0;
  }
}

async function synthetic(
  session: ort.InferenceSession,
  threshold: number,
  seed: number,
  count: number,
) {
  const ring = createRing(1 << 26, 4096);
  const feed = NativeFeed.start("synth", ring, {
    seed,
    count,
    rate: 0,
    anomalies: 0.0005,
    policy: "block",
    start_ns: "1767364200000000000",
  });
  const c = new RingConsumer(ring), r = new FrameReader();
  const det = new Detector(session, threshold);
  const labels: number[] = [], times: number[] = [], syms: number[] = [];
  while (!c.drained()) {
    c.poll((b, off, len) => {
      const n = r.open(b, off, len);
      for (let i = 0; i < n; i++) {
        const t = r.tick(i);
        det.tick(t);
        labels.push(t.label());
        times.push(t.tsSec() + t.tsNsec() / 1e9);
        syms.push(det.syms.intern(t.symbolLo(), t.symbolHi()));
      }
    });
    if (labels.length % 100_000 < 2000) await det.flush();
  }
  feed.stop();
  await det.flush();
  const perKind: Record<string, Record<string, number>> = {};
  for (let k = 1; k < LABEL_NAMES.length; k++) {
    const name = LABEL_NAMES[k];
    let tp = 0, fn = 0, fp = 0;
    for (let i = 0; i < labels.length; i++) {
      const flagged = det.kinds[i] !== "";
      if (labels[i] === k) flagged ? tp++ : fn++;
      if (det.kinds[i] === name && labels[i] !== k) fp++;
    }
    const precision = tp + fp ? tp / (tp + fp) : 1, recall = tp + fn ? tp / (tp + fn) : 0;
    // detection delay: events are runs of same-label ticks of a symbol less than 1 s apart
    const delays: number[] = [];
    const open = new Map<number, { start: number; last: number; done: boolean }>();
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] !== k) continue;
      let ev = open.get(syms[i]);
      if (!ev || times[i] - ev.last > 1) {
        ev = { start: times[i], last: times[i], done: false };
        open.set(syms[i], ev);
      }
      ev.last = times[i];
      if (!ev.done && det.kinds[i] !== "") {
        ev.done = true;
        delays.push(times[i] - ev.start);
      }
    }
    perKind[name] = {
      labelled_ticks: tp + fn,
      precision: Number(precision.toFixed(4)),
      recall: Number(recall.toFixed(4)),
      f1: Number(
        (precision + recall ? (2 * precision * recall) / (precision + recall) : 0).toFixed(4),
      ),
      false_positives: fp,
      mean_delay_s: delays.length
        ? Number((delays.reduce((a, b) => a + b, 0) / delays.length).toFixed(6))
        : -1,
      max_delay_s: delays.length ? Number(Math.max(...delays).toFixed(6)) : -1,
    };
  }
  const unexplained = det.kinds.filter((k) => k === "unexplained").length;
  const unexplainedOnLabels =
    det.kinds.filter((k, i) => k === "unexplained" && labels[i] !== 0).length;
  return {
    seed,
    ticks: labels.length,
    per_kind: perKind,
    model_only_flags: unexplained,
    model_only_flags_on_labelled_ticks: unexplainedOnLabels,
  };
}

async function lobster(session: ort.InferenceSession, threshold: number) {
  const out = [];
  for (const sym of ["AAPL", "AMZN", "GOOG"]) {
    const { trades } = await readLobster(
      `${SHARED}lobster-2012-06-21/${sym}_2012-06-21_34200000_57600000_message_1.csv`,
      sym,
      "2012-06-21",
    );
    const det = new Detector(session, threshold), r = new FrameReader();
    for (const t of trades) {
      const b = encodeFrame({ session: 1, firstSeq: 1, ticks: [t] });
      r.open(b, 0, b.length);
      det.tick(r.tick(0));
    }
    await det.flush();
    const hours = (trades[trades.length - 1].sec - trades[0].sec) / 3600;
    const flags = det.kinds.map((k, i) => ({ k, i })).filter((x) => x.k !== "");
    const byKind: Record<string, number> = {};
    for (const f of flags) byKind[f.k] = (byKind[f.k] ?? 0) + 1;
    out.push({
      symbol: sym,
      trades: trades.length,
      hours: Number(hours.toFixed(2)),
      flags: flags.length,
      flags_per_hour: Number((flags.length / hours).toFixed(2)),
      by_kind: byKind,
      examples: flags.slice(0, 5).map((f) => ({
        kind: f.k,
        time: new Date(trades[f.i].sec * 1000 + trades[f.i].nsec / 1e6).toISOString(),
        price: trades[f.i].price / 1e4,
        size: trades[f.i].size,
        score: Number(det.scores[f.i].toFixed(3)),
      })),
    });
  }
  return out;
}

function robustZ(values: number[], win: number, k: number, skip: number): boolean[] {
  const flags = values.map(() => false);
  for (let i = Math.max(skip, 10); i < values.length; i++) {
    const w = values.slice(Math.max(0, i - win), i).sort((a, b) => a - b);
    const med = w[w.length >> 1];
    const mad = w.map((x) => Math.abs(x - med)).sort((a, b) => a - b)[w.length >> 1] * 1.4826 ||
      1e-9;
    if (Math.abs(values[i] - med) / mad > k) flags[i] = true;
  }
  return flags;
}

async function nab(session: ort.InferenceSession, threshold: number) {
  const windows = JSON.parse(
    await Deno.readTextFile(`${SHARED}nab/labels/combined_windows.json`),
  ) as Record<string, [string, string][]>;
  const out = [];
  for await (const cat of Deno.readDir(`${SHARED}nab/data`)) {
    if (!cat.isDirectory) continue;
    for await (const f of Deno.readDir(`${SHARED}nab/data/${cat.name}`)) {
      const key = `${cat.name}/${f.name}`;
      const lines = (await Deno.readTextFile(`${SHARED}nab/data/${key}`)).trim().split("\n").slice(
        1,
      );
      const ts = lines.map((l) => Date.parse(l.split(",")[0].replace(" ", "T") + "Z"));
      const vals = lines.map((l) => Number(l.split(",")[1]));
      const skip = Math.floor(0.15 * vals.length); // NAB's probationary period
      // the value series as a tape: each point a trade at that price
      const min = Math.min(...vals), det = new Detector(session, threshold), r = new FrameReader();
      const ticks: TickInput[] = vals.map((v, i) => ({
        sec: Math.floor(ts[i] / 1000),
        nsec: 0,
        symbol: "NAB",
        kind: 1,
        price: Math.max(1, Math.round((v - min + 1) * 1e4)),
        size: 100,
      }));
      for (const t of ticks) {
        const b = encodeFrame({ session: 1, firstSeq: 1, ticks: [t] });
        r.open(b, 0, b.length);
        det.tick(r.tick(0));
      }
      await det.flush();
      const ours = det.kinds.map((k, i) => k !== "" && k !== "stale" && i >= skip);
      const base = robustZ(vals, 288, 6, skip);
      const wins = (windows[key] ?? []).map((
        [a, b],
      ) => [Date.parse(a.replace(" ", "T") + "Z"), Date.parse(b.replace(" ", "T") + "Z")]);
      const score = (flags: boolean[]) => {
        const inWin = (i: number) => wins.some(([a, b]) => ts[i] >= a && ts[i] <= b);
        const hit = wins.filter(([a, b]) =>
          flags.some((fl, i) => fl && ts[i] >= a && ts[i] <= b)
        ).length;
        const fp = flags.filter((fl, i) => fl && !inWin(i)).length;
        return { windows_hit: hit, false_positives: fp };
      };
      out.push({
        series: key,
        points: vals.length,
        windows: wins.length,
        tickwire: score(ours),
        robust_z: score(base),
      });
    }
  }
  out.sort((a, b) => a.series.localeCompare(b.series));
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seed: { type: "string", default: "7" },
      count: { type: "string", default: "500000" },
      out: { type: "string", default: new URL("../../bench/results/", import.meta.url).pathname },
    },
  });
  const model = await loadModel(DEFAULT_MODEL);
  const session = await ort.InferenceSession.create(model.bytes);
  const th = model.meta.threshold;
  console.error("anomaly:report: synthetic data with labelled anomalies");
  const syn = await synthetic(session, th, Number(values.seed), Number(values.count));
  console.error("anomaly:report: LOBSTER days");
  const real = await lobster(session, th);
  console.error("anomaly:report: NAB series");
  const nabRows = await nab(session, th);
  const report = {
    model: { threshold: th, sha256: model.meta.sha256 },
    synthetic: syn,
    lobster: real,
    nab: nabRows,
  };
  await Deno.mkdir(values.out, { recursive: true });
  await Deno.writeTextFile(
    `${values.out}anomaly_report.json`,
    JSON.stringify(report, null, 2) + "\n",
  );
  const tot = (k: "tickwire" | "robust_z", f: "windows_hit" | "false_positives") =>
    nabRows.reduce((a, r) => a + r[k][f], 0);
  const md = [
    "# tickwire anomaly report",
    "",
    `Detector: the rules of src/anomaly/rules.ts plus the ONNX autoencoder (threshold ${th}). ` +
    `Synthetic: ${syn.ticks} ticks, seed ${syn.seed} (training used seeds 42 and 43), anomalies injected with probability 0.0005 per tick.`,
    "",
    "| kind | labelled ticks | precision | recall | F1 | false positives | mean delay s | max delay s |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...Object.entries(syn.per_kind).map(([k, v]) =>
      `| ${k} | ${v.labelled_ticks} | ${v.precision} | ${v.recall} | ${v.f1} | ${v.false_positives} | ${v.mean_delay_s} | ${v.max_delay_s} |`
    ),
    "",
    `Model-only (unexplained) flags: ${syn.model_only_flags}, of which ${syn.model_only_flags_on_labelled_ticks} on labelled ticks.`,
    "",
    "Real trading days (LOBSTER, 2012-06-21; AAPL was in the training data, AMZN set the threshold, GOOG is unseen):",
    "",
    "| symbol | trades | hours | flags | flags/hour | kinds |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
    ...real.map((r) =>
      `| ${r.symbol} | ${r.trades} | ${r.hours} | ${r.flags} | ${r.flags_per_hour} | ${
        JSON.stringify(r.by_kind)
      } |`
    ),
    "",
    "NAB series (each value as a trade price; first 15 % probationary; stale flags ignored, the series have regular gaps):",
    "",
    "| series | windows | tickwire hit | tickwire FP | robust z hit | robust z FP |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...nabRows.map((r) =>
      `| ${r.series} | ${r.windows} | ${r.tickwire.windows_hit} | ${r.tickwire.false_positives} | ${r.robust_z.windows_hit} | ${r.robust_z.false_positives} |`
    ),
    `| total | ${nabRows.reduce((a, r) => a + r.windows, 0)} | ${
      tot("tickwire", "windows_hit")
    } | ${tot("tickwire", "false_positives")} | ${tot("robust_z", "windows_hit")} | ${
      tot("robust_z", "false_positives")
    } |`,
    "",
  ].join("\n");
  await Deno.writeTextFile(`${values.out}anomaly_report.md`, md);
  console.log(md);
}
