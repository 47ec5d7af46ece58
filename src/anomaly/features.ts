/**
 * Streaming anomaly features per symbol, computed per tick without
 * allocating (state in typed arrays, results written into a caller's
 * Float32Array). For a trade the price is the trade price and the size its
 * size; for a quote the price is the midpoint and the size bid + ask size.
 *
 * Every feature is scale-free (relative to the symbol's own recent
 * behaviour) and 0 when its input is missing (e.g. no quotes on a
 * trades-only feed), so a model trained on one market transfers to others.
 *
 * | # | feature | meaning |
 * | - | --- | --- |
 * | 0 | ret_z | absolute log return over its EWMA |
 * | 1 | size_z | log size against a running median of log size, over a running MAD |
 * | 2 | gap_z | log of the time since the symbol's last update over its EWMA |
 * | 3 | vwap_z | distance from the running VWAP over its EWMA |
 * | 4 | mid_z | distance of a trade from the last quote midpoint over its EWMA |
 * | 5 | spread_z | log of the quoted spread over its EWMA |
 * | 6 | crossed | 1 when the last quote was crossed or locked |
 * | 7 | stale_z | log(1 + time since the last update over its EWMA) |
 *
 * @example
 * ```ts
 * import { FEATURES, FeatureExtractor } from "./features.ts";
 * const fx = new FeatureExtractor(4);
 * const row = new Float32Array(FEATURES);
 * console.log(row.length); // 8
 * void fx;
 * ```
 * @module
 */
import type { Tick } from "../wire/generated/tickwire_generated.ts";
import { TickKind } from "../wire/enums.ts";
import { logSize } from "./log_size.ts";

const TRADE = TickKind.Trade, QUOTE = TickKind.Quote;

/** Number of features per tick. */
export const FEATURES = 8;
/** Feature names, in order. */
export const FEATURE_NAMES = [
  "ret_z",
  "size_z",
  "gap_z",
  "vwap_z",
  "mid_z",
  "spread_z",
  "crossed",
  "stale_z",
];
/** Updates of a symbol before its features are trusted. */
export const WARMUP = 50;

const TWO32 = 4294967296;
const clamp = (x: number) => (x > 50 ? 50 : x < -50 ? -50 : x);

/** Per-symbol streaming state. */
export class FeatureExtractor {
  private readonly lastPx: Float64Array;
  private readonly absRet: Float64Array; // EWMA |log return|
  private readonly med: Float64Array; // running median of log size
  private readonly mad: Float64Array; // running MAD of log size
  private readonly lastT: Float64Array; // seconds (double, ms-exact)
  private readonly meanGap: Float64Array;
  private readonly pv: Float64Array;
  private readonly vol: Float64Array;
  private readonly mid: Float64Array;
  private readonly spread: Float64Array;
  private readonly crossed: Float64Array;
  private readonly n: Float64Array;
  private readonly vwapDev: Float64Array; // EWMA |price - vwap|
  private readonly midDev: Float64Array; // EWMA |trade - mid|
  private readonly spreadAvg: Float64Array; // EWMA spread
  // feature 5 and the spread / EWMA it was computed from
  private readonly z5: Float64Array;
  private readonly zSpread: Float64Array;
  private readonly zUsual: Float64Array;

  constructor(capacity: number) {
    const a = () => new Float64Array(capacity);
    this.lastPx = a();
    this.absRet = a();
    this.med = a();
    this.mad = a();
    this.lastT = a();
    this.meanGap = a();
    this.pv = a();
    this.vol = a();
    this.mid = a();
    this.spread = a();
    this.crossed = a();
    this.n = a();
    this.vwapDev = a();
    this.midDev = a();
    this.spreadAvg = a();
    this.z5 = a();
    this.zSpread = a();
    this.zUsual = a();
  }

  /**
   * Feature 5 from the spread and its EWMA; they change only with quotes,
   * so the last value is kept and the log taken only when one changed.
   */
  private spreadZ(sym: number, sp: number, usualS: number): number {
    if (sp === this.zSpread[sym] && usualS === this.zUsual[sym]) return this.z5[sym];
    this.zSpread[sym] = sp;
    this.zUsual[sym] = usualS;
    return this.z5[sym] = sp > 0 && usualS > 0 ? clamp(Math.log(sp / usualS)) : 0;
  }

  /** True once the symbol has had WARMUP updates. */
  warm(sym: number): boolean {
    return this.n[sym] >= WARMUP;
  }

  /** Writes the 8 features of tick `t` of symbol `sym` into out[off..off+8). */
  extract(sym: number, t: Tick, out: Float32Array, off: number): void {
    const kind = t.kind();
    const p1 = t.priceHi() * TWO32 + t.priceLo();
    let price: number, size: number;
    let spread = 0;
    if (kind === QUOTE) {
      const p2 = t.price2Hi() * TWO32 + t.price2Lo();
      price = (p1 + p2) / 2;
      size = t.size() + t.size2();
      this.crossed[sym] = p1 >= p2 ? 1 : 0;
      if (p1 < p2 && price > 0) {
        this.mid[sym] = price;
        spread = p2 - p1;
        this.spread[sym] = spread;
      }
    } else {
      price = p1;
      size = t.size();
    }
    const time = t.tsSec() + t.tsNsec() / 1e9;
    const n = this.n[sym];
    // 0: return over its usual size
    const prev = this.lastPx[sym];
    // an unchanged price (most trades) is a return of exactly 0: no log
    const ret = prev > 0 && price > 0 && price !== prev ? Math.log(price / prev) : 0;
    const usualRet = this.absRet[sym] > 1e-7 ? this.absRet[sym] : 1e-4;
    out[off] = clamp(Math.abs(ret) / usualRet);
    // 1: size against a running median and MAD of log size
    const ls = logSize(size);
    const mad = this.mad[sym] > 0.05 ? this.mad[sym] : 0.5;
    out[off + 1] = n > 0 ? clamp((ls - this.med[sym]) / mad) : 0;
    // 2 and 7: time since the last update
    const gap = n > 0 ? Math.max(0, time - this.lastT[sym]) : 0;
    const usualGap = this.meanGap[sym] > 1e-6 ? this.meanGap[sym] : 1e-3;
    out[off + 2] = n > 1 ? clamp(Math.log((gap + 1e-6) / usualGap)) : 0;
    // 3: distance from VWAP, relative to its usual size
    const vwap = this.vol[sym] > 0 ? this.pv[sym] / this.vol[sym] : price;
    const vdev = Math.abs(price - vwap), usualV = this.vwapDev[sym];
    out[off + 3] = usualV > 0 ? clamp(vdev / usualV) : 0;
    // 4: trade vs last quote midpoint, relative to its usual size
    const mid = this.mid[sym];
    const mdev = kind === TRADE && mid > 0 ? Math.abs(price - mid) : 0, usualM = this.midDev[sym];
    out[off + 4] = kind === TRADE && mid > 0 && usualM > 0 ? clamp(mdev / usualM) : 0;
    // 5, 6: spread against its usual size, crossed quotes
    const sp = this.spread[sym], usualS = this.spreadAvg[sym];
    out[off + 5] = this.spreadZ(sym, sp, usualS);
    out[off + 6] = this.crossed[sym];
    // 7: staleness relative to the usual gap
    out[off + 7] = n > 1 ? clamp(Math.log1p(gap / usualGap)) : 0;
    this.vwapDev[sym] = usualV === 0 ? vdev : usualV + 0.01 * (vdev - usualV);
    if (kind === TRADE && mid > 0) {
      this.midDev[sym] = usualM === 0 ? mdev : usualM + 0.01 * (mdev - usualM);
    }
    if (spread > 0) this.spreadAvg[sym] = usualS === 0 ? spread : usualS + 0.01 * (spread - usualS);
    // learn (slowly), from what was just seen
    if (prev > 0 && price > 0) {
      this.absRet[sym] = n < 2 ? Math.abs(ret) : usualRet + 0.01 * (Math.abs(ret) - usualRet);
    }
    this.lastPx[sym] = price;
    if (n === 0) {
      this.med[sym] = ls;
      this.mad[sym] = 0.5;
    } else {
      this.med[sym] += 0.02 * Math.sign(ls - this.med[sym]) * mad;
      this.mad[sym] += 0.02 * (Math.abs(ls - this.med[sym]) - this.mad[sym]);
    }
    if (n > 0) this.meanGap[sym] = n < 2 ? gap : usualGap + 0.01 * (gap - usualGap);
    this.lastT[sym] = time;
    if (kind === TRADE) {
      this.pv[sym] += price * size;
      this.vol[sym] += size;
    }
    this.n[sym] = n + 1;
  }
}
