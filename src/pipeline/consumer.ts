/**
 * The per-tick stage: takes ring records, opens each as a Frame in place,
 * checks sequence numbers, interns symbols and hands every tick on. Nothing
 * on this path allocates (tests/schema_test.ts proves it under --trace-gc): the frame
 * reader, the tick view and the handler are created once.
 *
 * @example
 * ```ts
 * import { createRing, RingConsumer } from "../ring/ring.ts";
 * import { TickConsumer } from "./consumer.ts";
 * const sab = createRing(1 << 16, 4096);
 * const c = new TickConsumer({ maxSymbols: 64 });
 * new RingConsumer(sab).poll(c.onRecord);
 * ```
 * @module
 */
import { CHECKSUM_SEED, FrameReader, mixTick, tickPrice } from "../wire/frame.ts";
import { SymbolTable } from "../wire/symbols.ts";
import { SeqResult, Sequencer } from "./sequencer.ts";
import { C, createCounters } from "./counters.ts";
import type { RecordHandler } from "../ring/ring.ts";
import type { BarAggregator } from "../bars/aggregator.ts";
import { ANOMALY, Ev, type EventWriter, TICK } from "./events.ts";
import { LATEST, TickWant } from "./shared.ts";
import type { AnomalyRules } from "../anomaly/rules.ts";
import { AnomalyKind, TickKind } from "../wire/enums.ts";
import type { RowWriter } from "../anomaly/rows.ts";
import { type FeatureExtractor, FEATURES } from "../anomaly/features.ts";
import type { Tick } from "../wire/generated/tickwire_generated.ts";
import type { Histogram } from "./latency.ts";
import { type Shard, shardOf } from "./shard.ts";

/** A sequence gap, reported to the summary and (later) subscribers. */
export interface GapEvent {
  session: number;
  first: number;
  last: number;
}

/** Options of the consumer. */
export interface ConsumerOptions {
  /** Symbol capacity (preallocated state). */
  maxSymbols?: number;
  /** Shared counters to write (default: private ones). */
  counters?: Float64Array;
  /** Gap events kept for the summary (default 1000). */
  maxGapEvents?: number;
  /** The bar stage (optional). */
  bars?: BarAggregator;
  /** Where symbol and gap events go (optional). */
  events?: EventWriter;
  /**
   * Receive-to-update latency: a histogram and a clock in CLOCK_MONOTONIC
   * ns (the clock of the rx stamps). Recorded once per frame, for each tick.
   */
  latency?: Histogram;
  clock?: () => number;
  /**
   * Latest trade and quote per symbol (LATEST record per symbol), in
   * shared memory so the server thread can read them without messages.
   */
  latest?: Float64Array;
  /**
   * Shared word saying which per-tick events subscribers want
   * (TickWant bits); read once per frame.
   */
  want?: Int32Array;
  /** Rule-based anomaly flags (optional). */
  rules?: AnomalyRules;
  /** Feature rows for the model scorer (optional; needs `features`). */
  rows?: RowWriter;
  features?: FeatureExtractor;
  /**
   * Keep only the symbols of this shard (`--shard i/n`); ticks of other
   * shards' symbols are counted as `foreign` and go no further.
   */
  shard?: Shard;
}

const TWO32 = 4294967296;
// module constants: folded by the JIT on the per-tick path
const TRADE = TickKind.Trade, QUOTE = TickKind.Quote, GAP = AnomalyKind.Gap;
const AN = ANOMALY.slot, ANOMALY_BYTES = ANOMALY.bytes, TK = TICK.slot, TICK_BYTES = TICK.bytes;
const LS = LATEST.slot, LATEST_SLOTS = LATEST.slots;

/** Decodes frames from ring records and keeps per-symbol state. */
export class TickConsumer {
  readonly reader = new FrameReader();
  readonly symbols: SymbolTable;
  readonly seq = new Sequencer();
  readonly counters: Float64Array;
  /** First gap events (bounded). */
  readonly gapEvents: GapEvent[] = [];
  /** Trades per symbol. */
  readonly tradesBySymbol: Float64Array;
  /** Ticks carrying each ground-truth label (synthetic feeds). */
  readonly labels = new Float64Array(8);
  readonly bars?: BarAggregator;
  readonly events?: EventWriter;
  readonly latency?: Histogram;
  readonly latest: Float64Array;
  /** Trade/quote events dropped because the event ring was full. */
  tickEventDrops = 0;
  private readonly want?: Int32Array;
  readonly rules?: AnomalyRules;
  readonly rows?: RowWriter;
  private readonly features?: FeatureExtractor;
  private readonly fbuf = new Float32Array(FEATURES);
  /** Anomaly events dropped because the event ring was full. */
  anomalyDrops = 0;
  // [0] first sequence of the open frame, [1] its receive time (ns)
  private readonly frameSeq = new Float64Array(2);
  private readonly clock?: () => number;
  private readonly maxGapEvents: number;
  private announced = 0;
  /** 1 when this process keeps the symbol (always, without a shard) */
  private readonly owned: Uint8Array;
  private readonly shard?: Shard;
  private hash = CHECKSUM_SEED;

  constructor(opts: ConsumerOptions = {}) {
    const cap = opts.maxSymbols ?? 4096;
    this.symbols = new SymbolTable(cap);
    this.tradesBySymbol = new Float64Array(cap);
    this.counters = opts.counters ?? createCounters();
    this.maxGapEvents = opts.maxGapEvents ?? 1000;
    this.bars = opts.bars;
    this.events = opts.events;
    this.latency = opts.latency;
    this.clock = opts.clock;
    this.latest = opts.latest ?? new Float64Array(cap * LATEST_SLOTS);
    this.want = opts.want;
    this.rules = opts.rules;
    this.rows = opts.rows;
    this.features = opts.features;
    this.shard = opts.shard;
    this.owned = new Uint8Array(cap).fill(1);
  }

  /** Ring record handler (a stable function: pass it to RingConsumer.poll). */
  readonly onRecord: RecordHandler = (bytes, off, len, rxLo, rxHi) => {
    const c = this.counters, r = this.reader;
    c[C.records]++;
    const n = r.open(bytes, off, len);
    if (n < 0) {
      c[C.malformed]++;
      return;
    }
    c[C.frames]++;
    if (n === 0) c[C.heartbeats]++;

    const res = this.seq.onFrame(r.header, n);
    if (res === SeqResult.gap) {
      c[C.gaps]++;
      c[C.missing] += this.seq.gapLast - this.seq.gapFirst + 1;
      if (this.gapEvents.length < this.maxGapEvents) {
        this.gapEvents.push({
          session: r.session(),
          first: this.seq.gapFirst,
          last: this.seq.gapLast,
        });
      }
      this.events?.gap(r.session(), this.seq.gapFirst, this.seq.gapLast);
      if (this.rules !== undefined && n > 0) {
        const missing = this.seq.gapLast - this.seq.gapFirst + 1;
        this.anomaly(-1, r.tick(0), GAP, missing, this.seq.gapFirst);
      }
    } else if (res === SeqResult.duplicate) {
      c[C.duplicates]++;
      return;
    } else if (res === SeqResult.overlap) {
      c[C.outOfOrder]++;
    } else if (res === SeqResult.sessionOverflow) {
      c[C.sessionOverflow]++;
    }
    let hash = this.hash;
    const h = r.header, bars = this.bars, latest = this.latest;
    const first = h.firstSeqHi() * TWO32 + h.firstSeqLo();
    const want = this.want === undefined ? 0 : this.want[0];
    this.frameSeq[0] = first;
    this.frameSeq[1] = rxHi * TWO32 + rxLo;
    for (let i = this.seq.skip; i < n; i++) {
      const t = r.tick(i);
      const kind = t.kind();
      if (bars !== undefined) bars.onTime(t); // the watermark is per feed
      const sym = this.symbols.intern(t.symbolLo(), t.symbolHi());
      if (sym < 0) {
        c[C.symbolOverflow]++;
        continue;
      }
      if (sym === this.announced) this.announce(sym);
      if (this.owned[sym] === 0) {
        c[C.foreign]++;
        continue;
      }
      c[C.ticks]++;
      const price = tickPrice(t);
      const size = t.size();
      hash = mixTick(hash, t);
      const label = t.label();
      if (label !== 0) {
        c[C.labelled]++;
        this.labels[label & 7]++;
      }
      const L = sym * LATEST_SLOTS;
      if (kind === TRADE) {
        c[C.trades]++;
        c[C.volume] += size;
        this.tradesBySymbol[sym]++;
        latest[L + LS.price] = price;
        latest[L + LS.size] = size;
        latest[L + LS.sec] = t.tsSec();
        latest[L + LS.nsec] = t.tsNsec();
        latest[L + LS.seq] = first + i;
        latest[L + LS.exp] = t.priceExp();
        if ((want & TickWant.trades) !== 0) this.tickEvent(Ev.trade, sym, t, i);
        if (this.rules !== undefined || this.rows !== undefined) this.detect(sym, t, i, true);
        if (bars !== undefined) {
          bars.scratch[0] = first + i;
          bars.onTrade(sym, t);
        }
      } else if (kind === QUOTE) {
        c[C.quotes]++;
        latest[L + LS.bid] = price;
        latest[L + LS.bidSize] = size;
        latest[L + LS.ask] = t.price2Hi() * TWO32 + t.price2Lo();
        latest[L + LS.askSize] = t.size2();
        latest[L + LS.quoteSec] = t.tsSec();
        latest[L + LS.quoteNsec] = t.tsNsec();
        latest[L + LS.exp] = t.priceExp();
        if ((want & TickWant.quotes) !== 0) this.tickEvent(Ev.quote, sym, t, i);
        if (this.rules !== undefined || this.rows !== undefined) this.detect(sym, t, i, false);
      } else {
        c[C.unknownKind]++;
      }
    }
    this.hash = hash;
    // every tick of the frame has been folded into its bars: stamp it
    if (this.latency !== undefined && rxHi + rxLo > 0 && n > 0) {
      this.latency.record(this.clock!() - (rxHi * TWO32 + rxLo), n - this.seq.skip);
    }
    c[C.checksum] = hash >>> 0;
    c[C.symbols] = this.symbols.size;
    if (bars !== undefined) {
      c[C.bars] = bars.finalBars;
      c[C.late] = bars.late;
    }
  };

  /**
   * Anomaly stage for one tick: features (when the model runs), rules
   * (flagged at once, with the features), and the row for the scorer.
   */
  private detect(sym: number, t: Tick, i: number, trade: boolean): void {
    const rows = this.rows;
    let warm = false;
    if (rows !== undefined) {
      warm = this.features!.warm(sym);
      this.features!.extract(sym, t, this.fbuf, 0);
    }
    let rule = 0;
    const rules = this.rules;
    if (rules !== undefined && (trade ? rules.trade(sym, t) : rules.quote(sym, t))) {
      rule = rules.kind;
      this.anomaly(sym, t, rule, rules.score, this.frameSeq[0] + i);
    }
    // rule -1: the symbol is still warming up: scored, never flagged
    if (rows !== undefined) rows.write(sym, t, this.frameSeq, i, warm ? rule : -1, this.fbuf);
  }

  /** An anomaly event (rare: not on the normal per-tick path). */
  private anomaly(sym: number, t: Tick, kind: number, score: number, seq: number): void {
    this.counters[C.anomalies]++;
    const ev = this.events;
    if (ev === undefined) return;
    const at = ev.tryReserve(ANOMALY_BYTES);
    if (at < 0) {
      this.anomalyDrops++;
      return;
    }
    const f = ev.f64;
    f[at + AN.kind] = Ev.anomaly;
    f[at + AN.symbol] = sym;
    f[at + AN.sec] = t.tsSec();
    f[at + AN.nsec] = t.tsNsec();
    f[at + AN.seq] = seq;
    f[at + AN.score] = score;
    f[at + AN.anomaly] = kind;
    f[at + AN.price] = t.priceHi() * TWO32 + t.priceLo();
    f[at + AN.size] = t.size();
    f[at + AN.exp] = t.priceExp();
    f[at + AN.hasFeatures] = this.rows !== undefined && kind !== GAP ? 1 : 0;
    for (let k = 0; k < FEATURES; k++) f[at + AN.features + k] = this.fbuf[k];
    ev.commit(ANOMALY_BYTES);
  }

  /** A trade/quote event for subscribers; dropped (counted) if the ring is full. */
  private tickEvent(kind: number, sym: number, t: Tick, i: number): void {
    const ev = this.events;
    if (ev === undefined) return;
    const at = (this.want![0] & TickWant.lossless) !== 0
      ? ev.reserve(TICK_BYTES)
      : ev.tryReserve(TICK_BYTES);
    if (at < 0) {
      this.tickEventDrops++;
      return;
    }
    const f = ev.f64;
    f[at + TK.kind] = kind;
    f[at + TK.symbol] = sym;
    f[at + TK.sec] = t.tsSec();
    f[at + TK.nsec] = t.tsNsec();
    f[at + TK.seq] = this.frameSeq[0] + i;
    f[at + TK.price] = t.priceHi() * TWO32 + t.priceLo();
    f[at + TK.size] = t.size();
    f[at + TK.price2] = t.price2Hi() * TWO32 + t.price2Lo();
    f[at + TK.size2] = t.size2();
    f[at + TK.exp] = t.priceExp();
    f[at + TK.side] = t.side();
    ev.commit(TICK_BYTES);
  }

  /** Tells downstream the name of a newly seen symbol (once per symbol). */
  private announce(sym: number): void {
    this.announced = sym + 1;
    const s = this.shard;
    if (s !== undefined && shardOf(this.symbols.names[sym], s.count) !== s.index) {
      this.owned[sym] = 0; // another shard's: never announced, never served here
      return;
    }
    this.events?.symbol(sym, this.symbols.names[sym]);
  }
}
