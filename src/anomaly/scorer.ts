/**
 * The model stage seen from the main thread: starts the scoring Worker
 * (`scorer_worker.ts`) on the rows ring, hands its flags on, and at the end
 * lets it score what is left. Its counters live in shared memory, slots
 * named by `ScorerStat`; `stats()` reads them as named fields.
 *
 * @example
 * ```ts ignore
 * const scorer = new Scorer(model, rowsRing, { maxBatch: 1024, maxWaitMs: 20 }, (flags) => ...);
 * await scorer.drain(); // after the pipeline closed the rows ring
 * console.log(scorer.stats().rows_scored);
 * ```
 * @module
 */
import type { LoadedModel } from "./model.ts";

/** main -> scorer */
export interface ScorerStart {
  rows: SharedArrayBuffer;
  model: Uint8Array;
  threshold: number;
  maxBatch: number;
  maxWaitMs: number;
  /** [0] command: 0 run, 1 drain */
  control: Int32Array;
  /** counters, slots named by ScorerStat */
  stats: Float64Array;
}

/** A model flag (symbol is the pipeline's symbol id). */
export interface ModelFlag {
  symbol: number;
  sec: number;
  nsec: number;
  seq: number;
  score: number;
  features: number[];
}

/** Slots of the scorer's shared counters. */
export const ScorerStat = {
  scored: 0,
  flagged: 1,
  errors: 2,
  batches: 3,
  /** time spent scoring, ns */
  scoreNs: 4,
  /** receive to flag, summed over scored rows, ns */
  latencySumNs: 5,
  latencyMaxNs: 6,
  /** when the last batch was scored (CLOCK_MONOTONIC, ns) */
  lastScoredNs: 7,
} as const;
/** Number of counter slots. */
export const SCORER_STATS = 8;

/** The model part of the summary. */
export interface ScorerSummary {
  threshold: number;
  rows_scored: number;
  flagged: number;
  inference_errors: number;
  batches: number;
  ns_per_row: number;
  added_latency_ms: { mean: number; max: number };
}

const S = ScorerStat;

/** The scoring Worker, from the main thread. */
export class Scorer {
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private readonly shared = new Float64Array(new SharedArrayBuffer(SCORER_STATS * 8));
  private readonly worker: Worker;
  private readonly done: Promise<void>;

  constructor(
    private readonly model: LoadedModel,
    rows: SharedArrayBuffer,
    batch: { maxBatch: number; maxWaitMs: number },
    onFlags: (flags: ModelFlag[]) => void,
  ) {
    this.worker = new Worker(new URL("./scorer_worker.ts", import.meta.url).href, {
      type: "module",
    });
    this.done = new Promise<void>((resolve) => {
      this.worker.onmessage = (e) => {
        if (e.data?.type === "done") resolve();
        else if (e.data?.type === "flags") onFlags(e.data.flags as ModelFlag[]);
      };
      this.worker.onerror = (e) => {
        e.preventDefault();
        this.shared[S.errors]++;
        resolve();
      };
    });
    const start: ScorerStart = {
      rows,
      model: model.bytes,
      threshold: model.meta.threshold,
      ...batch,
      control: this.control,
      stats: this.shared,
    };
    this.worker.postMessage(start);
  }

  /** After the rows ring was closed: scores what is left, then ends the Worker. */
  async drain(): Promise<void> {
    Atomics.store(this.control, 0, 1);
    await this.done;
    this.worker.terminate();
  }

  /** Ends the Worker now (failed start). */
  terminate(): void {
    this.worker.terminate();
  }

  /** When the last batch was scored (CLOCK_MONOTONIC, ns; 0 before any). */
  get lastScoredNs(): number {
    return this.shared[S.lastScoredNs];
  }

  /** The counters as named fields. */
  stats(): ScorerSummary {
    const s = this.shared, n = s[S.scored];
    return {
      threshold: this.model.meta.threshold,
      rows_scored: n,
      flagged: s[S.flagged],
      inference_errors: s[S.errors],
      batches: s[S.batches],
      ns_per_row: n ? Math.round(s[S.scoreNs] / n) : 0,
      added_latency_ms: {
        mean: n ? Number((s[S.latencySumNs] / n / 1e6).toFixed(3)) : 0,
        max: Number((s[S.latencyMaxNs] / 1e6).toFixed(3)),
      },
    };
  }
}
