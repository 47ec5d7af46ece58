/**
 * Builds tickwire `Frame` FlatBuffers with the generated builder code, for
 * the tools (UDP publisher, pcap writer, LOBSTER import) and tests. Not on
 * the receive path.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./encode.ts";
 * const bytes = encodeFrame({
 *   session: 7,
 *   firstSeq: 1,
 *   ticks: [{ sec: 1, nsec: 5, symbol: "AAPL", kind: 1, price: 5801200, size: 100 }],
 * });
 * console.log(bytes.length);
 * ```
 * @module
 */
import * as flatbuffers from "flatbuffers";
import { Frame, FrameHeader, Tick } from "./generated/tickwire_generated.ts";
import { packSymbol } from "./frame.ts";

/** One tick to encode. Prices are integers in units of 10^priceExp. */
export interface TickInput {
  sec: number;
  nsec: number;
  symbol: string;
  /** 1 trade, 2 quote */
  kind: number;
  price: number;
  size: number;
  price2?: number;
  size2?: number;
  /** 0 unknown, 1 buy, 2 sell */
  side?: number;
  /** default -4 */
  priceExp?: number;
  label?: number;
}

/** A frame to encode. */
export interface FrameInput {
  session: number;
  firstSeq: number;
  ticks: TickInput[];
  /** bit 0: end of session */
  flags?: number;
  /** Override the header count (tests of malformed frames). */
  count?: number;
}

const TWO32 = 4294967296;
const lo32 = (v: number) => (((v % TWO32) + TWO32) % TWO32) >>> 0;
const hi32 = (v: number) => Math.floor(v / TWO32) | 0;

/** Encodes a frame; returns a fresh Uint8Array. */
export function encodeFrame(
  f: FrameInput,
  builder = new flatbuffers.Builder(256),
): Uint8Array {
  builder.clear();
  Frame.startTicksVector(builder, f.ticks.length);
  for (let i = f.ticks.length - 1; i >= 0; i--) {
    const t = f.ticks[i];
    const [slo, shi] = packSymbol(t.symbol);
    Tick.createTick(
      builder,
      t.sec,
      t.nsec,
      slo,
      shi,
      lo32(t.price),
      hi32(t.price),
      t.size,
      lo32(t.price2 ?? 0),
      hi32(t.price2 ?? 0),
      t.size2 ?? 0,
      t.kind,
      t.side ?? 0,
      t.priceExp ?? -4,
      t.label ?? 0,
    );
  }
  const vec = builder.endVector();
  Frame.startFrame(builder);
  Frame.addHeader(
    builder,
    FrameHeader.createFrameHeader(
      builder,
      lo32(f.session),
      hi32(f.session),
      lo32(f.firstSeq),
      hi32(f.firstSeq),
      f.count ?? f.ticks.length,
      f.flags ?? 0,
    ),
  );
  Frame.addTicks(builder, vec);
  Frame.finishFrameBuffer(builder, Frame.endFrame(builder));
  return builder.asUint8Array().slice();
}
