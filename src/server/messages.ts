/**
 * Every outbound JSON shape, in one place: bars (REST, WebSocket, NDJSON,
 * NATS), trades, quotes, late ticks, gaps, anomalies and the latest tick,
 * with the conversions from pipeline events (fixed-point prices scaled to
 * instrument units, times ISO-8601 UTC with nanoseconds), and the
 * WebSocket bodies built from them (`{"type":...,...fields}`).
 *
 * @example
 * ```ts
 * import { body, scalePrice } from "./messages.ts";
 * console.log(scalePrice(2238200, -4)); // 223.82
 * console.log(body("gap", { session: 1, first: 5, last: 9 })); // {"type":"gap","session":1,"first":5,"last":9}
 * ```
 * @module
 */
import {
  type AnomalyEvent,
  type BarEvent,
  type LateEvent,
  NOTICE_NAMES,
  type NoticeEvent,
  type RejectedEvent,
  type TickEvent,
} from "../pipeline/events.ts";
import { REJECT_NAMES } from "../pipeline/guard.ts";
import { formatIso, isoNs } from "../time.ts";
import { anomalyKindName, sideName } from "../wire/enums.ts";

/** Converts a fixed-point integer to instrument units. */
export function scalePrice(v: number, exp: number): number {
  return exp < 0 ? v / 10 ** -exp : v * 10 ** exp;
}

/** A bar as served and written: prices in instrument units, ISO times. */
export interface BarJson {
  symbol: string;
  window: string;
  start: string;
  end: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** volume of trades whose aggressor bought (side known) */
  buy_volume: number;
  /** volume of trades whose aggressor sold (side known) */
  sell_volume: number;
  trades: number;
  vwap: number;
  final: boolean;
  revision: number;
  filled: boolean;
}

/** A `--bars-out` line: the bar plus its first and last sequence. */
export interface BarLineJson extends BarJson {
  first_seq: number;
  last_seq: number;
}

/** A trade as served, without the `type` tag. */
export interface TradeJson {
  symbol: string;
  time: string;
  price: number;
  size: number;
  side: "buy" | "sell" | "unknown";
  sequence: number;
}

/** A quote as served, without the `type` tag. */
export interface QuoteJson {
  symbol: string;
  time: string;
  bid: number;
  bid_size: number;
  ask: number;
  ask_size: number;
  sequence: number;
}

/** A tick that arrived after its bar was final. */
export interface LateJson {
  symbol: string;
  time: string;
  seq: number;
  price: number;
  size: number;
}

/** Missing sequence numbers of a session. */
export interface GapJson {
  session: number;
  first: number;
  last: number;
}

/** Something about a session: it started again, or a frame jumped too far ahead. */
export interface NoticeJson {
  code: string;
  session: number;
  first: number;
  last: number;
}

/** A tick refused by a rule (README "Bad input and faults"), with what it carried. */
export interface RejectedJson {
  reason: string;
  /** the wire symbol as text (padding dropped; any byte shown, JSON-escaped) */
  symbol: string;
  sec: number;
  nsec: number;
  sequence: number;
  price: number;
  exp: number;
}

/** An anomaly as served and written (`--anomalies-out`). */
export interface AnomalyJson {
  symbol: string;
  time: string;
  seq: number;
  score: number;
  kind: string;
  price?: number;
  size?: number;
  features?: Record<string, number>;
}

/** The latest trade and quote of a symbol (`/v1/ticks/latest`, snapshots). */
export interface LatestTickJson {
  symbol: string;
  trade: { time: string; price: number; size: number; sequence: number } | null;
  quote: { time: string; bid: number; bid_size: number; ask: number; ask_size: number } | null;
}

/** A bar event in JSON form. */
export function barJson(b: BarEvent, window: string, symbol: string): BarJson {
  return {
    symbol,
    window,
    start: STARTS.iso(b.start),
    end: ENDS.iso(b.end),
    open: scalePrice(b.open, b.exp),
    high: scalePrice(b.high, b.exp),
    low: scalePrice(b.low, b.exp),
    close: scalePrice(b.close, b.exp),
    volume: b.volume,
    buy_volume: b.buyVolume,
    sell_volume: b.sellVolume,
    trades: b.trades,
    vwap: b.volume > 0 ? scalePrice(b.pv / b.volume, b.exp) : scalePrice(b.close, b.exp),
    final: b.final,
    revision: b.revision,
    filled: b.filled,
  };
}

/** The last time formatted: the bars of one burst share their start and end. */
class IsoCache {
  private ms = NaN;
  private text = "";
  iso(ms: number): string {
    if (ms !== this.ms) [this.ms, this.text] = [ms, formatIso(ms)];
    return this.text;
  }
}
const STARTS = new IsoCache(), ENDS = new IsoCache();

/** A `--bars-out` line (no newline). */
export function barLine(j: BarJson, b: BarEvent): string {
  const line: BarLineJson = { ...j, first_seq: b.firstSeq, last_seq: b.lastSeq };
  return JSON.stringify(line);
}

/** The parts of a trade (price already in instrument units, side as on the wire). */
export interface TradeParts {
  symbol: string;
  sec: number;
  nsec: number;
  price: number;
  size: number;
  side: number;
  seq: number;
}

/** A trade from its parts. */
export function tradeJson(t: TradeParts): TradeJson {
  const { symbol, price, size } = t;
  return {
    symbol,
    time: isoNs(t.sec, t.nsec),
    price,
    size,
    side: sideName(t.side),
    sequence: t.seq,
  };
}

/** A trade event in JSON form. */
export function tradeEventJson(t: TickEvent, symbol: string): TradeJson {
  return tradeJson({ ...t, symbol, price: scalePrice(t.price, t.exp) });
}

/** A quote event in JSON form. */
export function quoteEventJson(t: TickEvent, symbol: string): QuoteJson {
  return {
    symbol,
    time: isoNs(t.sec, t.nsec),
    bid: scalePrice(t.price, t.exp),
    bid_size: t.size,
    ask: scalePrice(t.price2, t.exp),
    ask_size: t.size2,
    sequence: t.seq,
  };
}

/** A late tick in JSON form. */
export function lateJson(l: LateEvent, symbol: string): LateJson {
  return {
    symbol,
    time: isoNs(l.sec, l.nsec),
    seq: l.seq,
    price: scalePrice(l.price, l.exp),
    size: l.size,
  };
}

/** The 8 wire bytes of a symbol as text, whatever they hold (trailing padding dropped). */
export function rawSymbol(lo: number, hi: number): string {
  let out = "";
  for (let i = 0; i < 8; i++) {
    out += String.fromCharCode(((i < 4 ? lo : hi) >>> (8 * (i % 4))) & 255);
  }
  return out.replace(/[\0 ]+$/, "");
}

/** A rejected tick in JSON form. */
export function rejectedJson(r: RejectedEvent): RejectedJson {
  return {
    reason: REJECT_NAMES[r.reason] ?? "unknown",
    symbol: rawSymbol(r.symbolLo, r.symbolHi),
    sec: r.sec,
    nsec: r.nsec,
    sequence: r.seq,
    price: r.price,
    exp: r.exp,
  };
}

/** A notice in JSON form. */
export function noticeJson(n: NoticeEvent): NoticeJson {
  return {
    code: NOTICE_NAMES[n.code] ?? "unknown",
    session: n.session,
    first: n.first,
    last: n.last,
  };
}

/** Feature names by position, to name an anomaly's feature values. */
export type FeatureNames = readonly string[];

/** An anomaly event (rules) in JSON form; symbol "*" when it is not tied to one. */
export function anomalyJson(a: AnomalyEvent, symbol: string, names: FeatureNames): AnomalyJson {
  return {
    symbol,
    time: isoNs(a.sec, a.nsec),
    seq: a.seq,
    score: Number(a.score.toFixed(4)),
    kind: anomalyKindName(a.kind),
    price: scalePrice(a.price, a.exp),
    size: a.size,
    ...(a.features ? { features: featureJson(names, a.features) } : {}),
  };
}

/** A model flag (scoring Worker) in JSON form: kind `unexplained`. */
export function modelFlagJson(
  f: { sec: number; nsec: number; seq: number; score: number; features: ArrayLike<number> },
  symbol: string,
  names: FeatureNames,
): AnomalyJson {
  return {
    symbol,
    time: isoNs(f.sec, f.nsec),
    seq: f.seq,
    score: Number(f.score.toFixed(4)),
    kind: anomalyKindName(0),
    features: featureJson(names, f.features),
  };
}

function featureJson(names: FeatureNames, values: ArrayLike<number>): Record<string, number> {
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

/**
 * A WebSocket body: `{"type":TYPE,...fields}`. On the socket `seq` is the
 * connection's own message counter, so a tick's exchange sequence travels
 * as `sequence` (late ticks and anomalies carry it as `seq` elsewhere).
 */
export function body(type: string, fields: object): string {
  const rest = JSON.stringify(served(fields));
  return rest === "{}" ? `{"type":"${type}"}` : `{"type":"${type}",${rest.slice(1)}`;
}

/** An object's camelCase keys in snake_case (`ticksSeen` -> `ticks_seen`): stats keep one style. */
export function snakeKeys(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  }
  return out;
}

/** A final bar or anomaly with its stream position (gateways). */
export function durableBody(kind: "bar" | "anomaly", fields: object, streamSeq: number): string {
  return `{"type":"${kind}","stream_seq":${streamSeq},${JSON.stringify(served(fields)).slice(1)}`;
}

/**
 * Fields as served (socket and REST): a tick's `seq` becomes `sequence`
 * (one key, one meaning; the NDJSON files keep `seq`).
 */
export function served(fields: object): object {
  if (!("seq" in fields)) return fields;
  const { seq, ...rest } = fields as { seq: unknown };
  return { ...rest, sequence: seq };
}

/** The answer to a request: its op, id and the connection's subscriptions (channel -> symbols). */
export function ackBody(
  op: string,
  id: unknown,
  subscriptions: Record<string, string[]>,
  extra: Record<string, unknown> = {},
): string {
  return body("ack", { op, id, subscriptions, ...extra });
}

/** An `error` message: the request id (null when none), a numeric code, a sentence. */
export function errorBody(id: unknown, code: number, message: string): string {
  return body("error", { id, code, message });
}

/** A heartbeat with the server's time. */
export function heartbeatBody(ms: number): string {
  return body("heartbeat", { time: new Date(ms).toISOString() });
}

/** A resumed subscription reached the end of what the stream holds. */
export function caughtUpBody(streamSeq: number): string {
  return body("caught_up", { stream_seq: streamSeq });
}
