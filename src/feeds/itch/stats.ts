/**
 * What the ITCH stage counted, and the `itch` object of the run summary
 * (one home for its JSON shape).
 *
 * @example
 * ```ts
 * import { ItchStats } from "./stats.ts";
 * const s = new ItchStats();
 * s.byType["A".charCodeAt(0)] += 2;
 * console.log(s.byTypeJson()); // { A: 2 }
 * ```
 * @module
 */
import { ITCH_TYPES } from "./spec.ts";
import type { MoldSequencer } from "./mold.ts";
import type { OrderTable } from "./orders.ts";
import type { GapFiller } from "./recovery.ts";

/** Per-line counts of an A/B arbitrated feed (one line: the feed itself). */
export interface LineJson {
  /** packets received on the line */
  arrivals: number;
  /** messages the line skipped (sequence numbers it never delivered) */
  losses: number;
  /** packets whose messages had all been applied already (the other line was first) */
  duplicates: number;
}

/** A range of sequence numbers. */
export interface RangeJson {
  first: number;
  last: number;
}

/** The summary's `itch` object. */
export interface ItchJson {
  messages: number;
  by_type: Record<string, number>;
  orders_live: number;
  books: number;
  gaps: number;
  rerequested: number;
  recovered: number;
  unrecovered: number;
  lines: LineJson[];
  /** ranges filled by re-request responses */
  recovered_ranges: RangeJson[];
  /** re-request packets sent */
  rerequests: number;
  /** gaps given up early because the store of packets held behind them filled */
  hold_overflows: number;
  packets: number;
  heartbeats: number;
  end_of_session: number;
  malformed_packets: number;
  short_messages: number;
  unknown_types: number;
  unknown_orders: number;
  book_errors: number;
  order_overflow: number;
  trades: number;
  quotes: number;
  broken_trades: number;
  /** trades of stocks whose symbol was never seen (no R, A, F, P or Q yet) */
  no_symbol: number;
  duplicate_packets: number;
  duplicate_messages: number;
  /** packets far ahead of the sequence that the next packet did not confirm: not applied */
  sequence_jumps: number;
  sessions: number;
  stale: boolean;
  gap_ranges: RangeJson[];
  bbo_lines: number;
}

const MAX_RANGES = 100;

/** Counters of the stage (written by it only). */
export class ItchStats {
  packets = 0;
  /** messages by type byte (their sum is the message count) */
  readonly byType = new Float64Array(256);
  heartbeats = 0;
  endOfSession = 0;
  malformedPackets = 0;
  shortMessages = 0;
  unknownTypes = 0;
  unknownOrders = 0;
  bookErrors = 0;
  trades = 0;
  quotes = 0;
  broken = 0;
  noSymbol = 0;
  recovered = 0;
  unrecovered = 0;
  readonly gapRanges: RangeJson[] = [];
  readonly recoveredRanges: RangeJson[] = [];
  /** per line: next sequence number, arrivals, losses, duplicates */
  private readonly lineState = new Float64Array(2 * 4);

  constructor(readonly lines = 1) {}

  /** Messages seen (the sum of the counts by type; for reports, not per message). */
  get messages(): number {
    return this.byType.reduce((a, b) => a + b, 0);
  }

  /** Keeps the first MAX_RANGES gap ranges for the summary. */
  noteGap(first: number, last: number): void {
    if (this.gapRanges.length < MAX_RANGES) this.gapRanges.push({ first, last });
  }

  /** Messages first..last came from a re-request (adjacent ranges merge). */
  noteRecovered(first: number, last: number): void {
    this.recovered += last - first + 1;
    const r = this.recoveredRanges, prev = r[r.length - 1];
    if (prev !== undefined && prev.last + 1 === first) prev.last = last;
    else if (r.length < MAX_RANGES) r.push({ first, last });
  }

  /** A packet on line 0 or 1 with `count` messages from `seq` (0 for heartbeats). */
  arrive(line: number, seq: number, count: number): void {
    const s = this.lineState, k = line * 4;
    s[k + 1]++;
    if (s[k] > 0 && seq > s[k]) s[k + 2] += seq - s[k];
    if (seq + count > s[k]) s[k] = seq + count;
  }

  /** A packet of `line` that brought nothing new. */
  duplicate(line: number): void {
    if (line < 2) this.lineState[line * 4 + 3]++;
  }

  private linesJson(): LineJson[] {
    const s = this.lineState;
    return Array.from({ length: this.lines }, (_, i) => ({
      arrivals: s[i * 4 + 1],
      losses: s[i * 4 + 2],
      duplicates: s[i * 4 + 3],
    }));
  }

  /** Counts by ITCH type letter; other type bytes as `0xNN` (only those seen). */
  byTypeJson(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of ITCH_TYPES) {
      const n = this.byType[t.charCodeAt(0)];
      if (n > 0) out[t] = n;
    }
    for (let b = 0; b < 256; b++) {
      const c = String.fromCharCode(b);
      if (this.byType[b] > 0 && !ITCH_TYPES.includes(c)) {
        out[`0x${b.toString(16).padStart(2, "0")}`] = this.byType[b];
      }
    }
    return out;
  }

  /** The summary's `itch` object, with the sequencer's and the order table's counts. */
  toJson(
    m: MoldSequencer,
    orders: OrderTable,
    books: number,
    stale: boolean,
    bboLines: number,
    filler?: GapFiller,
  ): ItchJson {
    return {
      messages: this.messages,
      by_type: this.byTypeJson(),
      orders_live: orders.size,
      books,
      gaps: m.gaps,
      rerequested: filler?.rerequested ?? 0,
      recovered: this.recovered,
      unrecovered: this.unrecovered,
      lines: this.linesJson(),
      recovered_ranges: this.recoveredRanges,
      rerequests: filler?.requests ?? 0,
      hold_overflows: filler?.holdOverflows ?? 0,
      packets: this.packets,
      heartbeats: this.heartbeats,
      end_of_session: this.endOfSession,
      malformed_packets: this.malformedPackets,
      short_messages: this.shortMessages,
      unknown_types: this.unknownTypes,
      unknown_orders: this.unknownOrders,
      book_errors: this.bookErrors,
      order_overflow: orders.overflow,
      trades: this.trades,
      quotes: this.quotes,
      broken_trades: this.broken,
      no_symbol: this.noSymbol,
      duplicate_packets: m.duplicatePackets,
      duplicate_messages: m.duplicateMessages,
      sequence_jumps: m.jumps,
      sessions: m.sessionChanges + (this.packets > 0 ? 1 : 0),
      stale,
      gap_ranges: this.gapRanges,
      bbo_lines: bboLines,
    };
  }
}
