/**
 * Binary encoding of outbound messages with the FlatBuffers schema
 * `schemas/outbound.fbs`: a `Message` wrapping a `Bar`, `Anomaly` or
 * `Trade`. The same bytes go to WebSocket clients that subscribe with
 * `"encoding":"flatbuffers"` and, in a cluster, from processor shards to
 * NATS; a gateway forwards them as they are, patching only the JetStream
 * position (`stream_seq_lo/hi`) in place. On the WebSocket a binary frame is
 * a 4-byte little-endian per-connection sequence number followed by the
 * FlatBuffer.
 *
 * @example
 * ```ts
 * import { decodeBarMessage, encodeBarMessage } from "./outbound.ts";
 * const b = { symbol: "A", window: "1m", start: "2026-01-01T00:00:00Z", end: "2026-01-01T00:01:00Z",
 *   open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, buy_volume: 6, sell_volume: 4, trades: 3, vwap: 1.2, final: true, revision: 0, filled: false };
 * console.log(decodeBarMessage(encodeBarMessage(b)).close); // 1.5
 * ```
 * @module
 */
import * as flatbuffers from "flatbuffers";
import {
  Anomaly,
  Bar,
  Message,
  Payload,
  Trade,
  TradeBatch,
} from "../wire/generated/outbound_generated.ts";
import { type AnomalyJson, type BarJson, type TradeJson, tradeJson } from "./messages.ts";
import { isoNs, parseIsoNs } from "../time.ts";
import { anomalyKindName, anomalyKindOf } from "../wire/enums.ts";
import { FEATURE_NAMES } from "../anomaly/features.ts";

const builder = new flatbuffers.Builder(512);
const TWO32 = 4294967296;

/** A decoded `Message`. */
export type Decoded =
  | { type: "bar"; bar: BarJson; streamSeq: number }
  | { type: "anomaly"; anomaly: AnomalyJson; streamSeq: number }
  | { type: "trade"; trade: TradeJson; streamSeq: number; sec: number; nsec: number }
  | {
    type: "trades";
    trades: { trade: TradeJson; sec: number; nsec: number }[];
    streamSeq: number;
  };

/** Fields per trade in the flat arrays `encodeTradeBatchMessage` takes. */
export const TRADE_FIELDS = 6; // sec, nsec, price, size, side, seq

/** ISO-8601 (as made by time.ts) to [seconds, nanoseconds]. */
function split(iso: string): [number, number] {
  const ns = parseIsoNs(iso);
  if (ns) return ns;
  const ms = Date.parse(iso);
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

/** Wraps a finished payload; the stream position is always present (zero) so it can be patched. */
function finish(type: Payload, payload: number): Uint8Array {
  Message.startMessage(builder);
  Message.addPayloadType(builder, type);
  Message.addPayload(builder, payload);
  builder.forceDefaults(true);
  Message.addStreamSeqLo(builder, 0);
  Message.addStreamSeqHi(builder, 0);
  builder.forceDefaults(false);
  builder.finish(Message.endMessage(builder), "TWO1");
  return builder.asUint8Array().slice();
}

/** Encodes a bar as a FlatBuffers `Message`. */
export function encodeBarMessage(b: BarJson): Uint8Array {
  builder.clear();
  const sym = builder.createString(b.symbol), win = builder.createString(b.window);
  const [ss, sn] = split(b.start), [es, en] = split(b.end);
  Bar.startBar(builder);
  Bar.addSymbol(builder, sym);
  Bar.addWindow(builder, win);
  Bar.addStartSec(builder, ss);
  Bar.addStartNsec(builder, sn);
  Bar.addEndSec(builder, es);
  Bar.addEndNsec(builder, en);
  Bar.addOpen(builder, b.open);
  Bar.addHigh(builder, b.high);
  Bar.addLow(builder, b.low);
  Bar.addClose(builder, b.close);
  Bar.addVolume(builder, b.volume);
  Bar.addTrades(builder, b.trades);
  Bar.addVwap(builder, b.vwap);
  Bar.addFinal(builder, b.final);
  Bar.addRevision(builder, b.revision);
  Bar.addFilled(builder, b.filled);
  Bar.addBuyVolume(builder, b.buy_volume);
  Bar.addSellVolume(builder, b.sell_volume);
  return finish(Payload.Bar, Bar.endBar(builder));
}

/** Encodes an anomaly as a FlatBuffers `Message`. */
export function encodeAnomalyMessage(a: AnomalyJson): Uint8Array {
  builder.clear();
  const sym = builder.createString(a.symbol);
  const feats = a.features
    ? Anomaly.createFeaturesVector(builder, FEATURE_NAMES.map((n) => a.features![n] ?? 0))
    : 0;
  const [sec, nsec] = split(a.time);
  const kind = anomalyKindOf(a.kind);
  Anomaly.startAnomaly(builder);
  Anomaly.addSymbol(builder, sym);
  Anomaly.addTimeSec(builder, sec);
  Anomaly.addTimeNsec(builder, nsec);
  Anomaly.addSeq(builder, a.seq);
  Anomaly.addScore(builder, a.score);
  Anomaly.addKind(builder, kind);
  if (feats) Anomaly.addFeatures(builder, feats);
  Anomaly.addPrice(builder, a.price ?? 0);
  Anomaly.addSize(builder, a.size ?? 0);
  return finish(Payload.Anomaly, Anomaly.endAnomaly(builder));
}

/** Encodes a trade as a FlatBuffers `Message` (side 0 unknown, 1 buy, 2 sell). */
export function encodeTradeMessage(
  symbol: string,
  sec: number,
  nsec: number,
  price: number,
  size: number,
  side: number,
  seq: number,
): Uint8Array {
  builder.clear();
  const sym = builder.createString(symbol);
  Trade.startTrade(builder);
  Trade.addSymbol(builder, sym);
  Trade.addTimeSec(builder, sec);
  Trade.addTimeNsec(builder, nsec);
  Trade.addPrice(builder, price);
  Trade.addSize(builder, size);
  Trade.addSide(builder, side);
  Trade.addSeq(builder, seq);
  return finish(Payload.Trade, Trade.endTrade(builder));
}

/**
 * Encodes the trades of one symbol as one `TradeBatch` message; `flat` holds
 * `count` trades of TRADE_FIELDS numbers each (sec, nsec, price, size, side, seq).
 */
export function encodeTradeBatchMessage(symbol: string, flat: number[], count: number): Uint8Array {
  builder.clear();
  const offs: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const k = i * TRADE_FIELDS;
    Trade.startTrade(builder);
    Trade.addTimeSec(builder, flat[k]);
    Trade.addTimeNsec(builder, flat[k + 1]);
    Trade.addPrice(builder, flat[k + 2]);
    Trade.addSize(builder, flat[k + 3]);
    Trade.addSide(builder, flat[k + 4]);
    Trade.addSeq(builder, flat[k + 5]);
    offs[i] = Trade.endTrade(builder);
  }
  const vec = TradeBatch.createTradesVector(builder, offs);
  const sym = builder.createString(symbol);
  TradeBatch.startTradeBatch(builder);
  TradeBatch.addSymbol(builder, sym);
  TradeBatch.addTrades(builder, vec);
  return finish(Payload.TradeBatch, TradeBatch.endTradeBatch(builder));
}

function tradeFields(t: Trade, symbol: string): TradeJson {
  const [sec, nsec, price, size, side, seq] = [
    t.timeSec(),
    t.timeNsec(),
    t.price(),
    t.size(),
    t.side(),
    t.seq(),
  ];
  return tradeJson({ symbol, sec, nsec, price, size, side, seq });
}

/** Opens a message, checking the file identifier; throws on anything else. */
function open(bytes: Uint8Array): Message {
  const bb = new flatbuffers.ByteBuffer(bytes);
  if (bytes.length < 8 || !Message.bufferHasIdentifier(bb)) {
    throw new Error("not a tickwire message (identifier TWO1 missing)");
  }
  return Message.getRootAsMessage(bb);
}

/** Decodes any `Message` (bar, anomaly or trade); throws on malformed input. */
export function decodeMessage(bytes: Uint8Array): Decoded {
  const m = open(bytes);
  const streamSeq = m.streamSeqHi() * TWO32 + m.streamSeqLo();
  switch (m.payloadType()) {
    case Payload.Bar: {
      const b = m.payload(new Bar()) as Bar;
      return {
        type: "bar",
        streamSeq,
        bar: {
          symbol: b.symbol() ?? "",
          window: b.window() ?? "",
          start: isoNs(b.startSec(), b.startNsec()),
          end: isoNs(b.endSec(), b.endNsec()),
          open: b.open(),
          high: b.high(),
          low: b.low(),
          close: b.close(),
          volume: b.volume(),
          buy_volume: b.buyVolume(),
          sell_volume: b.sellVolume(),
          trades: b.trades(),
          vwap: b.vwap(),
          final: b.final(),
          revision: b.revision(),
          filled: b.filled(),
        },
      };
    }
    case Payload.Anomaly: {
      const a = m.payload(new Anomaly()) as Anomaly;
      const anomaly: AnomalyJson = {
        symbol: a.symbol() ?? "",
        time: isoNs(a.timeSec(), a.timeNsec()),
        seq: a.seq(),
        score: a.score(),
        kind: anomalyKindName(a.kind()),
        price: a.price(),
        size: a.size(),
      };
      if (a.featuresLength() > 0) {
        anomaly.features = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, a.features(i)!]));
      }
      return { type: "anomaly", streamSeq, anomaly };
    }
    case Payload.Trade: {
      const t = m.payload(new Trade()) as Trade;
      return {
        type: "trade",
        streamSeq,
        sec: t.timeSec(),
        nsec: t.timeNsec(),
        trade: tradeFields(t, t.symbol() ?? ""),
      };
    }
    case Payload.TradeBatch: {
      const b = m.payload(new TradeBatch()) as TradeBatch;
      const symbol = b.symbol() ?? "", trades = [];
      for (let i = 0; i < b.tradesLength(); i++) {
        const t = b.trades(i)!;
        trades.push({ trade: tradeFields(t, symbol), sec: t.timeSec(), nsec: t.timeNsec() });
      }
      return { type: "trades", streamSeq, trades };
    }
    default:
      throw new Error(`unknown payload type ${m.payloadType()}`);
  }
}

/** Decodes a FlatBuffers `Message` holding a bar (tests, clients). */
export function decodeBarMessage(bytes: Uint8Array): BarJson {
  const d = decodeMessage(bytes);
  if (d.type !== "bar") throw new Error("not a bar message");
  return d.bar;
}

/**
 * Writes the JetStream position into a message in place (vtable slots 2
 * and 3 of `Message`, always present in messages made here). Returns false
 * when the message lacks the fields (made by another encoder).
 */
export function patchStreamSeq(bytes: Uint8Array, seq: number): boolean {
  const m = open(bytes), bb = m.bb!;
  const lo = bb.__offset(m.bb_pos, 8), hi = bb.__offset(m.bb_pos, 10);
  if (!lo || !hi) return false;
  bb.writeUint32(m.bb_pos + lo, seq % TWO32);
  bb.writeUint32(m.bb_pos + hi, Math.floor(seq / TWO32));
  return true;
}
