/**
 * The per-tick stage: takes ring records, opens each as a Frame in place,
 * checks sequence numbers, interns symbols and hands every tick on. Nothing
 * on this path allocates (verified by bench/consumer_bench.ts): the frame
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
import { SymbolTable } from "./symbols.ts";
import { SeqResult, Sequencer } from "./sequencer.ts";
import { C, createCounters } from "./counters.ts";
import type { RecordHandler } from "../ring/ring.ts";
import type { BarAggregator } from "../bars/aggregator.ts";
import type { EventWriter } from "../bars/events.ts";
import type { Histogram } from "./latency.ts";

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
}

const TWO32 = 4294967296;

/** Decodes frames from ring records and keeps per-symbol state. */
export class TickConsumer {
  readonly reader = new FrameReader();
  readonly symbols: SymbolTable;
  readonly seq = new Sequencer();
  readonly counters: Float64Array;
  /** First gap events (bounded). */
  readonly gapEvents: GapEvent[] = [];
  /** Last trade price per symbol (price_exp units). */
  readonly lastPrice: Float64Array;
  /** Trades per symbol. */
  readonly tradesBySymbol: Float64Array;
  /** Ticks carrying each ground-truth label (synthetic feeds). */
  readonly labels = new Float64Array(8);
  /** Best bid and ask per symbol (price_exp units), from quotes. */
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly bars?: BarAggregator;
  readonly events?: EventWriter;
  readonly latency?: Histogram;
  private readonly clock?: () => number;
  private readonly maxGapEvents: number;
  private announced = 0;
  private hash = CHECKSUM_SEED;

  constructor(opts: ConsumerOptions = {}) {
    const cap = opts.maxSymbols ?? 4096;
    this.symbols = new SymbolTable(cap);
    this.lastPrice = new Float64Array(cap);
    this.tradesBySymbol = new Float64Array(cap);
    this.counters = opts.counters ?? createCounters();
    this.maxGapEvents = opts.maxGapEvents ?? 1000;
    this.bid = new Float64Array(cap);
    this.ask = new Float64Array(cap);
    this.bars = opts.bars;
    this.events = opts.events;
    this.latency = opts.latency;
    this.clock = opts.clock;
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
    } else if (res === SeqResult.duplicate) {
      c[C.duplicates]++;
      return;
    } else if (res === SeqResult.overlap) {
      c[C.outOfOrder]++;
    } else if (res === SeqResult.sessionOverflow) {
      c[C.sessionOverflow]++;
    }
    let hash = this.hash;
    const h = r.header, bars = this.bars;
    const first = h.firstSeqHi() * TWO32 + h.firstSeqLo();
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
      c[C.ticks]++;
      const price = tickPrice(t);
      const size = t.size();
      hash = mixTick(hash, t);
      const label = t.label();
      if (label !== 0) {
        c[C.labelled]++;
        this.labels[label & 7]++;
      }
      if (kind === 1) {
        c[C.trades]++;
        c[C.volume] += size;
        this.lastPrice[sym] = price;
        this.tradesBySymbol[sym]++;
        if (bars !== undefined) {
          bars.scratch[0] = first + i;
          bars.onTrade(sym, t);
        }
      } else if (kind === 2) {
        c[C.quotes]++;
        this.bid[sym] = price;
        this.ask[sym] = t.price2Hi() * TWO32 + t.price2Lo();
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

  /** Tells downstream the name of a newly seen symbol (once per symbol). */
  private announce(sym: number): void {
    this.announced = sym + 1;
    this.events?.symbol(sym, this.symbols.names[sym]);
  }
}
