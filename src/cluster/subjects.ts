/**
 * NATS subject names and the JetStream stream of a tickwire cluster.
 *
 * | subject                              | what                         | kept          |
 * |--------------------------------------|------------------------------|---------------|
 * | `tickwire.bars.<window>.<symbol>`    | final bars and revisions     | JetStream     |
 * | `tickwire.anomalies.<symbol>`        | anomaly flags                | JetStream     |
 * | `tickwire.trades.<symbol>`           | trades (Trade or TradeBatch) | core NATS     |
 * | `tickwire.partial.<window>.<symbol>` | in-progress bar updates      | core NATS     |
 *
 * Payloads are FlatBuffers `Message`s (schemas/outbound.fbs). A symbol that
 * holds a character NATS gives a meaning to (`.`, `*`, `>`, space, `%`) is
 * written with `%XX` escapes, e.g. `BRK.B` -> `BRK%2EB`.
 *
 * @example
 * ```ts
 * import { barSubject, parseSubject } from "./subjects.ts";
 * console.log(barSubject("1m", "BRK.B")); // tickwire.bars.1m.BRK%2EB
 * console.log(parseSubject("tickwire.bars.1m.BRK%2EB")?.symbol); // BRK.B
 * ```
 * @module
 */

/** Prefix of every tickwire subject. */
export const ROOT = "tickwire";

/** Escapes a symbol into one subject token. */
export function symbolToken(symbol: string): string {
  return symbol.replace(/[^\x21-\x7e]|[.*>%]/g, (c) => {
    const h = c.charCodeAt(0).toString(16).toUpperCase();
    return `%${h.padStart(2, "0")}`;
  });
}

/** Reverses symbolToken. */
export function tokenSymbol(token: string): string {
  return token.replace(/%([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

/** Subject of a final bar (kept in the stream). */
export function barSubject(window: string, symbol: string): string {
  return `${ROOT}.bars.${window}.${symbolToken(symbol)}`;
}

/** Subject of an in-progress bar update (not kept). */
export function partialSubject(window: string, symbol: string): string {
  return `${ROOT}.partial.${window}.${symbolToken(symbol)}`;
}

/** Subject of a trade (not kept). */
export function tradeSubject(symbol: string): string {
  return `${ROOT}.trades.${symbolToken(symbol)}`;
}

/** Subject of an anomaly (kept in the stream). */
export function anomalySubject(symbol: string): string {
  return `${ROOT}.anomalies.${symbolToken(symbol)}`;
}

/** Subjects the JetStream stream captures. */
export const STREAM_SUBJECTS = [`${ROOT}.bars.>`, `${ROOT}.anomalies.>`];

/** What a subject names. */
export interface SubjectInfo {
  kind: "bars" | "partial" | "trades" | "anomalies";
  window?: string;
  symbol: string;
}

/** Parses a tickwire subject; null for anything else. */
export function parseSubject(subject: string): SubjectInfo | null {
  const p = subject.split(".");
  if (p[0] !== ROOT) return null;
  if ((p[1] === "bars" || p[1] === "partial") && p.length === 4) {
    return { kind: p[1], window: p[2], symbol: tokenSymbol(p[3]) };
  }
  if ((p[1] === "trades" || p[1] === "anomalies") && p.length === 3) {
    return { kind: p[1], symbol: tokenSymbol(p[2]) };
  }
  return null;
}
