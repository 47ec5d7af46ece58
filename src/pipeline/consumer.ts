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
import { CHECKSUM_SEED, FrameReader, mixTick, tickMs, tickPrice } from "../wire/frame.ts";
import { SymbolTable } from "../wire/symbols.ts";
import { MAX_JUMP, SeqResult, Sequencer } from "./sequencer.ts";
import { checkValues, Reject, tickMsAt, TimeGuard } from "./guard.ts";
import { C, createCounters } from "./counters.ts";
import type { RecordHandler } from "../ring/ring.ts";
import type { BarAggregator } from "../bars/aggregator.ts";
import { Ev, type EventWriter, Notice } from "./events.ts";
import { LATEST, TickWant, WANT_ALL } from "./shared.ts";
import type { AnomalyRules } from "../anomaly/rules.ts";
import { AnomalyKind, TickKind } from "../wire/enums.ts";
import type { RowWriter } from "../anomaly/rows.ts";
import { type FeatureExtractor, FEATURES } from "../anomaly/features.ts";
import type { Tick } from "../wire/generated/tickwire_generated.ts";
import { type Histogram, wallNs } from "./latency.ts";
import { type Shard, shardOf } from "./shard.ts";
import type { ConsumerOptions, GapEvent } from "./consumer_options.ts";

export type { ConsumerOptions, GapEvent } from "./consumer_options.ts";

const TWO32 = 4294967296;
// module constants: folded by the JIT on the per-tick path
const TRADE = TickKind.Trade, QUOTE = TickKind.Quote, GAP = AnomalyKind.Gap;
const LS = LATEST.slot, LATEST_SLOTS = LATEST.slots;

/** Decodes frames from ring records and keeps per-symbol state. */
export class TickConsumer {
  readonly reader = new FrameReader();
  readonly symbols: SymbolTable;
  readonly seq: Sequencer;
  readonly counters: Float64Array;
  readonly gapEvents: GapEvent[] = []; // the first gaps (bounded)
  readonly tradesBySymbol: Float64Array;
  /** Ticks carrying each ground-truth label (synthetic feeds). */
  readonly labels = new Float64Array(8);
  readonly bars?: BarAggregator;
  readonly events?: EventWriter;
  readonly latency?: Histogram;
  readonly wire?: Histogram;
  readonly latest: Float64Array;
  /** Trade/quote events dropped because the event ring was full. */
  tickEventDrops = 0;
  private readonly want?: Int32Array;
  private readonly interest: Uint8Array;
  readonly rules?: AnomalyRules;
  readonly rows?: RowWriter;
  private readonly features?: FeatureExtractor;
  private readonly fbuf = new Float32Array(FEATURES);
  // [0] first sequence of the open frame, [1] its receive time (ns), [2] its time limit (ms)
  private readonly frameSeq = new Float64Array(3);
  private readonly clock?: () => number;
  private readonly maxGapEvents: number;
  private announced = 0;
  /** 1 when this process keeps the symbol (always, without a shard) */
  private readonly owned: Uint8Array;
  private readonly shard?: Shard;
  private hash = CHECKSUM_SEED;
  private readonly guard: TimeGuard;
  private readonly keepLatest: boolean;

  constructor(opts: ConsumerOptions = {}) {
    const cap = opts.maxSymbols ?? 4096;
    this.symbols = new SymbolTable(cap);
    this.tradesBySymbol = new Float64Array(cap);
    this.counters = opts.counters ?? createCounters();
    this.maxGapEvents = opts.maxGapEvents ?? 1000;
    this.bars = opts.bars;
    this.events = opts.events;
    this.latency = opts.latency;
    this.wire = opts.wire;
    this.clock = opts.clock;
    this.latest = opts.latest ?? new Float64Array(cap * LATEST_SLOTS);
    this.keepLatest = opts.keepLatest ?? true;
    this.want = opts.want;
    this.interest = opts.interest ?? new Uint8Array(cap).fill(WANT_ALL);
    this.rules = opts.rules;
    this.rows = opts.rows;
    this.features = opts.features;
    this.shard = opts.shard;
    this.owned = new Uint8Array(cap).fill(1);
    this.guard = new TimeGuard({ maxSkewMs: opts.maxSkewMs ?? 0, live: opts.live ?? false });
    this.seq = new Sequencer(opts.maxSessions ?? 256, opts.maxSeqJump ?? MAX_JUMP);
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
    c[C.ticksSeen] += n;
    if (!this.sequence(n)) return;
    const h = r.header;
    this.frameSeq[0] = h.firstSeqHi() * TWO32 + h.firstSeqLo();
    this.frameSeq[1] = rxHi * TWO32 + rxLo;
    // [2]: event time past which a tick needs the exact time rules (ms)
    this.frameSeq[2] = this.guard.frame(this.bars?.watermark ?? -Infinity);
    const want = this.want === undefined ? 0 : this.want[0];
    for (let i = this.seq.skip; i < n; i++) this.admit(r.tick(i), i, want, bytes);
    // every tick of the frame has been folded into its bars: stamp it
    if (this.latency !== undefined && rxHi + rxLo > 0 && n > 0) {
      this.latency.record(this.clock!() - this.frameSeq[1], n - this.seq.skip);
    }
    if (this.wire !== undefined && n > this.seq.skip) this.recordWire(n);
    c[C.checksum] = this.hash >>> 0;
    c[C.symbols] = this.symbols.size;
    if (this.bars !== undefined) {
      c[C.bars] = this.bars.finalBars;
      c[C.late] = this.bars.late;
    }
  };

  /** Event time of the frame's first taken tick to now (wall clock), for its ticks. */
  private recordWire(n: number): void {
    const t = this.reader.tick(this.seq.skip);
    this.wire!.record(wallNs() - (t.tsSec() * 1e9 + t.tsNsec()), n - this.seq.skip);
  }

  /** Sequence check of the open frame; false when none of its ticks is taken. */
  private sequence(n: number): boolean {
    const c = this.counters, r = this.reader, seq = this.seq;
    const res = seq.onFrame(r.header, n);
    c[C.sessionEvictions] = seq.evictions;
    if (res === SeqResult.gap) this.gap(n);
    else if (res === SeqResult.duplicate) {
      c[C.duplicates]++;
      c[C.duplicateTicks] += n;
      return false;
    } else if (res === SeqResult.overlap) {
      c[C.outOfOrder]++;
      c[C.duplicateTicks] += seq.skip;
    } else if (res === SeqResult.restart) {
      c[C.sessionRestarts]++;
      this.events?.notice(Notice.restart, r.session(), r.firstSeq(), r.firstSeq() + n - 1);
    } else if (res === SeqResult.jump) {
      c[C.seqJumps]++;
      c[C.rejected] += n;
      c[C.rejectedJump] += n;
      this.events?.notice(Notice.jump, r.session(), r.firstSeq(), r.firstSeq() + n - 1);
      return false;
    }
    return true;
  }

  private gap(n: number): void {
    const c = this.counters, r = this.reader, seq = this.seq;
    c[C.gaps]++;
    c[C.missing] += seq.gapLast - seq.gapFirst + 1;
    if (this.gapEvents.length < this.maxGapEvents) {
      this.gapEvents.push({ session: r.session(), first: seq.gapFirst, last: seq.gapLast });
    }
    this.events?.gap(r.session(), seq.gapFirst, seq.gapLast);
    if (this.rules !== undefined && n > 0) {
      this.anomaly(-1, r.tick(0), GAP, seq.gapLast - seq.gapFirst + 1, seq.gapFirst);
    }
  }

  /** The rules a tick must pass before it is taken (see guard.ts). */
  private admit(t: Tick, i: number, want: number, bytes: Uint8Array): void {
    const dv = this.reader.view, at = t.bb_pos, why = checkValues(dv, at);
    if (why !== Reject.none) return this.reject(why, t, this.frameSeq[0] + i);
    // one comparison on the usual path; past the frame's limit, the exact rules
    if (tickMsAt(dv, at) > this.frameSeq[2]) return this.beyond(t, i, want, bytes);
    if (this.guard.heldCount > 0) this.release(false, want); // the held ones were outliers
    this.take(t, i, want);
  }

  /** Past the frame's time limit: the wall clock rejects, far ahead of the watermark holds. */
  private beyond(t: Tick, i: number, want: number, bytes: Uint8Array): void {
    const g = this.guard, bars = this.bars, ms = tickMs(t);
    if (g.pastWall(ms)) return this.reject(Reject.implausible, t, this.frameSeq[0] + i);
    if (bars !== undefined && g.ahead(ms, bars.watermark)) {
      return this.holdAhead(t, i, want, bytes, ms);
    }
    if (g.heldCount > 0) this.release(false, want);
    this.take(t, i, want);
  }

  /** A tick far ahead of the watermark: held until CONFIRM agree (see guard.ts). */
  private holdAhead(t: Tick, i: number, want: number, bytes: Uint8Array, ms: number): void {
    const g = this.guard, seq = this.frameSeq[0] + i;
    if (g.heldCount > 0 && !g.agrees(ms)) this.release(false, want);
    if (g.hold(bytes, t.bb_pos, seq, ms)) this.release(true, want);
  }

  /** Takes (a confirmed jump) or rejects (outliers) the held ticks. */
  private release(take: boolean, want: number): void {
    const g = this.guard, first = this.frameSeq[0], n = g.heldCount;
    g.heldCount = 0;
    for (let k = 0; k < n; k++) {
      const t = g.heldTick(k);
      if (!take) {
        this.reject(Reject.implausible, t, g.heldSeq[k]);
        continue;
      }
      this.frameSeq[0] = g.heldSeq[k];
      this.take(t, 0, want);
    }
    this.frameSeq[0] = first;
  }

  /** A rejected tick: counted by reason, reported (dropped when the event ring is full). */
  private reject(why: number, t: Tick, seq: number): void {
    const c = this.counters;
    c[C.rejected]++;
    c[C.rejectedTime + why - 1]++;
    this.events?.rejected(why, t, seq);
  }

  /** A tick that passed every rule (no float arguments per tick: boxed, they allocate). */
  private take(t: Tick, i: number, want: number): void {
    const c = this.counters, bars = this.bars;
    const sym = this.symbols.intern(t.symbolLo(), t.symbolHi());
    if (sym === -2) return this.reject(Reject.symbol, t, this.frameSeq[0] + i);
    if (bars !== undefined) bars.onTime(t); // the watermark is per feed
    if (sym < 0) {
      c[C.symbolOverflow]++;
      return;
    }
    if (sym === this.announced) this.announce(sym);
    if (this.owned[sym] === 0) {
      c[C.foreign]++;
      return;
    }
    c[C.ticks]++;
    this.hash = mixTick(this.hash, t);
    const label = t.label();
    if (label !== 0) {
      c[C.labelled]++;
      this.labels[label & 7]++;
    }
    const kind = t.kind();
    if (kind === TRADE) this.trade(sym, t, i, want);
    else if (kind === QUOTE) this.quote(sym, t, i, want);
    else c[C.unknownKind]++;
  }

  private trade(sym: number, t: Tick, i: number, want: number): void {
    const c = this.counters, latest = this.latest, L = sym * LATEST_SLOTS, size = t.size();
    c[C.trades]++;
    c[C.volume] += size;
    this.tradesBySymbol[sym]++;
    if (this.keepLatest) {
      latest[L + LS.price] = tickPrice(t);
      latest[L + LS.size] = size;
      latest[L + LS.sec] = t.tsSec();
      latest[L + LS.nsec] = t.tsNsec();
      latest[L + LS.seq] = this.frameSeq[0] + i;
      latest[L + LS.exp] = t.priceExp();
    }
    if ((want & this.interest[sym] & TickWant.trades) !== 0) this.tickEvent(Ev.trade, sym, t, i);
    if (this.rules !== undefined || this.rows !== undefined) this.detect(sym, t, i, true);
    const bars = this.bars;
    if (bars !== undefined) {
      bars.scratch[0] = this.frameSeq[0] + i;
      bars.onTrade(sym, t);
    }
  }

  private quote(sym: number, t: Tick, i: number, want: number): void {
    const latest = this.latest, L = sym * LATEST_SLOTS;
    this.counters[C.quotes]++;
    if (this.keepLatest) {
      latest[L + LS.bid] = tickPrice(t);
      latest[L + LS.bidSize] = t.size();
      latest[L + LS.ask] = t.price2Hi() * TWO32 + t.price2Lo();
      latest[L + LS.askSize] = t.size2();
      latest[L + LS.quoteSec] = t.tsSec();
      latest[L + LS.quoteNsec] = t.tsNsec();
      latest[L + LS.exp] = t.priceExp();
    }
    if ((want & this.interest[sym] & TickWant.quotes) !== 0) this.tickEvent(Ev.quote, sym, t, i);
    if (this.rules !== undefined || this.rows !== undefined) this.detect(sym, t, i, false);
  }

  /** End of input: held ticks that never confirmed a jump are rejected. */
  finish(): void {
    if (this.guard.heldCount > 0) this.release(false, 0);
  }

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
    const features = this.rows !== undefined && kind !== GAP ? this.fbuf : undefined;
    this.events?.anomaly(sym, t, kind, score, seq, features);
  }

  /** A trade/quote event for subscribers; dropped (counted) if the ring is full. */
  private tickEvent(kind: number, sym: number, t: Tick, i: number): void {
    const lossless = (this.want![0] & TickWant.lossless) !== 0;
    if (this.events?.tick(kind, sym, t, this.frameSeq, i, lossless) === false) {
      this.tickEventDrops++;
    } else this.counters[C.tickEvents]++;
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
