/**
 * Rule-based anomaly flags, computed per tick in the pipeline Worker from
 * allocation-free streaming state per symbol. Each rule explains a kind:
 *
 * - `price_spike`: a trade more than `spikePct` % away from the reference
 *   price (the last quote midpoint, else the previous trade);
 * - `fat_finger`: a trade more than 50 % away (a misplaced digit);
 * - `volume_burst`: a burst of abnormally large prints: the third (and
 *   every further) print within 2 s of event time that is more than
 *   `burstX` times the symbol's usual size (an EWMA of log size), after a
 *   warm-up; one large print on its own is ordinary on real tapes;
 * - `crossed_quote`: a quote whose bid is at or above its ask;
 * - `stale`: the first update of a symbol after a silence longer than
 *   both `staleS` seconds and 100 times its usual time between updates
 *   (an EWMA), so a thinly traded name is not stale every few seconds.
 *
 * Sequence gaps are flagged as `gap` by the consumer. The score is the
 * size of the deviation (e.g. 7 for a 7 % spike). This is the rules layer;
 * a learned model scoring the same features is a separate stage.
 *
 * @example
 * ```ts
 * import { AnomalyRules } from "./rules.ts";
 * const r = new AnomalyRules(16);
 * console.log(r.flags); // 0
 * ```
 * @module
 */
import type { Tick } from "../wire/generated/tickwire_generated.ts";
import { AnomalyKind } from "../wire/enums.ts";
import { logSize } from "./log_size.ts";

// module constants: folded by the JIT on the per-tick path
const NONE = AnomalyKind.Unexplained, SPIKE = AnomalyKind.PriceSpike;
const FAT_FINGER = AnomalyKind.FatFinger, BURST = AnomalyKind.VolumeBurst;
const CROSSED = AnomalyKind.CrossedQuote, STALE = AnomalyKind.Stale;

/** Thresholds. */
export interface RuleOptions {
  spikePct?: number;
  burstX?: number;
  staleS?: number;
}

/** Per-symbol state and the rules. */
export class AnomalyRules {
  /** Anomalies flagged. */
  flags = 0;
  /** Result of the last check: an AnomalyKind (not Unexplained when flagged) and score. */
  kind: number = NONE;
  score = 0;
  private readonly lastTrade: Float64Array;
  private readonly mid: Float64Array;
  private readonly logSize: Float64Array; // EWMA of ln(size)
  private readonly trades: Float64Array;
  private readonly lastSec: Float64Array;
  private readonly lastNsec: Float64Array;
  private readonly meanGap: Float64Array; // EWMA of seconds between updates
  private readonly bigCount: Float64Array;
  private readonly bigSince: Float64Array;
  private readonly spike: number;
  private readonly burstLog: number;
  private readonly stale: number;

  constructor(capacity: number, o: RuleOptions = {}) {
    this.lastTrade = new Float64Array(capacity);
    this.mid = new Float64Array(capacity);
    this.logSize = new Float64Array(capacity);
    this.trades = new Float64Array(capacity);
    this.lastSec = new Float64Array(capacity);
    this.lastNsec = new Float64Array(capacity);
    this.meanGap = new Float64Array(capacity);
    this.bigCount = new Float64Array(capacity);
    this.bigSince = new Float64Array(capacity);
    this.spike = (o.spikePct ?? 5) / 100;
    this.burstLog = Math.log(o.burstX ?? 20);
    this.stale = o.staleS ?? 10;
  }

  /** Checks a trade; sets kind/score. Returns true when flagged. */
  trade(sym: number, t: Tick): boolean {
    const price = t.priceHi() * 4294967296 + t.priceLo(), size = t.size(), sec = t.tsSec();
    this.kind = NONE;
    this.checkStale(sym, sec, t.tsNsec());
    const ref = this.mid[sym] > 0 ? this.mid[sym] : this.lastTrade[sym];
    if (ref > 0 && this.kind === NONE) {
      const dev = Math.abs(price - ref) / ref;
      if (dev > 0.5) this.set(FAT_FINGER, dev * 100);
      else if (dev > this.spike) this.set(SPIKE, dev * 100);
    }
    const ls = logSize(size);
    const n = this.trades[sym];
    if (n >= 50 && ls - this.logSize[sym] > this.burstLog) {
      if (sec - this.bigSince[sym] > 2) {
        this.bigSince[sym] = sec;
        this.bigCount[sym] = 0;
      }
      if (++this.bigCount[sym] >= 3 && this.kind === NONE) {
        this.set(BURST, Math.exp(ls - this.logSize[sym]));
      }
    }
    // learn only from prints that look normal, so an anomaly does not
    // become the new normal
    if (this.kind === NONE || this.kind === STALE) {
      this.lastTrade[sym] = price;
      this.logSize[sym] = n === 0 ? ls : this.logSize[sym] + 0.02 * (ls - this.logSize[sym]);
      this.trades[sym] = n + 1;
    }
    if (this.kind !== NONE) this.flags++;
    return this.kind !== NONE;
  }

  /** Checks a quote; sets kind/score. Returns true when flagged. */
  quote(sym: number, t: Tick): boolean {
    const bid = t.priceHi() * 4294967296 + t.priceLo();
    const ask = t.price2Hi() * 4294967296 + t.price2Lo(), sec = t.tsSec();
    this.kind = NONE;
    this.checkStale(sym, sec, t.tsNsec());
    if (this.kind === NONE && bid > 0 && ask > 0 && bid >= ask) {
      this.set(CROSSED, ((bid - ask) / ask) * 100);
    } else if (bid > 0 && ask > bid) this.mid[sym] = (bid + ask) / 2;
    if (this.kind !== NONE) this.flags++;
    return this.kind !== NONE;
  }

  private checkStale(sym: number, sec: number, nsec: number): void {
    const last = this.lastSec[sym];
    if (last === 0) {
      this.lastSec[sym] = sec;
      this.lastNsec[sym] = nsec;
      return;
    }
    const gap = sec - last + (nsec - this.lastNsec[sym]) / 1e9;
    if (gap <= 0) return;
    const usual = this.meanGap[sym];
    if (gap > this.stale && usual > 0 && gap > 100 * usual) this.set(STALE, gap);
    // the EWMA learns from ordinary gaps only
    this.meanGap[sym] = usual === 0
      ? gap
      : this.kind === STALE
      ? usual
      : usual + 0.02 * (gap - usual);
    this.lastSec[sym] = sec;
    this.lastNsec[sym] = nsec;
  }

  private set(kind: number, score: number): void {
    this.kind = kind;
    this.score = score;
  }
}
