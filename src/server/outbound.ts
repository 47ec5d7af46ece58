/**
 * Binary encoding of outbound messages with the FlatBuffers schema
 * `schemas/outbound.fbs` (`Message` wrapping a `Bar`), for clients that
 * subscribe with `"encoding":"flatbuffers"`. Encoded once per event.
 * On the WebSocket a binary frame is a 4-byte little-endian per-connection
 * sequence number followed by the FlatBuffer.
 *
 * @example
 * ```ts
 * import { decodeBarMessage, encodeBarMessage } from "./outbound.ts";
 * const b = { symbol: "A", window: "1m", start: "2026-01-01T00:00:00Z", end: "2026-01-01T00:01:00Z",
 *   open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, trades: 3, vwap: 1.2, final: true, revision: 0, filled: false };
 * console.log(decodeBarMessage(encodeBarMessage(b)).close); // 1.5
 * ```
 * @module
 */
import * as flatbuffers from "flatbuffers";
import { Bar, Message, Payload } from "../wire/generated/outbound_generated.ts";
import type { BarJson } from "./state.ts";

const builder = new flatbuffers.Builder(512);

function split(iso: string): [number, number] {
  const ms = Date.parse(iso);
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
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
  const bar = Bar.endBar(builder);
  Message.startMessage(builder);
  Message.addPayloadType(builder, Payload.Bar);
  Message.addPayload(builder, bar);
  builder.finish(Message.endMessage(builder), "TWO1");
  return builder.asUint8Array().slice();
}

/** Decodes a FlatBuffers `Message` holding a bar (tests, clients). */
export function decodeBarMessage(bytes: Uint8Array): BarJson {
  const m = Message.getRootAsMessage(new flatbuffers.ByteBuffer(bytes));
  if (m.payloadType() !== Payload.Bar) throw new Error("not a bar message");
  const b = m.payload(new Bar()) as Bar;
  return {
    symbol: b.symbol() ?? "",
    window: b.window() ?? "",
    start: new Date(b.startSec() * 1000 + b.startNsec() / 1e6).toISOString(),
    end: new Date(b.endSec() * 1000 + b.endNsec() / 1e6).toISOString(),
    open: b.open(),
    high: b.high(),
    low: b.low(),
    close: b.close(),
    volume: b.volume(),
    trades: b.trades(),
    vwap: b.vwap(),
    final: b.final(),
    revision: b.revision(),
    filled: b.filled(),
  };
}
