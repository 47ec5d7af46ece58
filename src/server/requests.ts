/**
 * What WebSocket clients may ask, checked before anything is done: the
 * request envelope (size, JSON object, id, op), subscriptions (channels,
 * symbols, encoding, `resumeFrom`), and the error codes they are answered
 * with. Nothing here touches a connection: a check returns the request or a
 * `Rejection`, and the hub answers it.
 *
 * @example
 * ```ts
 * import { ErrorCode, parseEnvelope } from "./requests.ts";
 * const r = parseEnvelope('{"op":"ping","id":1}', 65536);
 * console.log("code" in r ? r.code : r.op, ErrorCode.badJson); // ping 4000
 * ```
 * @module
 */
import { parseTimeMs } from "../time.ts";

/** Numeric codes of `error` messages. */
export const ErrorCode = {
  badJson: 4000,
  badRequest: 4001,
  unknownOp: 4002,
  unknownChannel: 4003,
  badSymbol: 4004,
  badWindow: 4005,
  tooManySubscriptions: 4006,
  messageTooLarge: 4007,
  notAuthenticated: 4008,
  slowConsumer: 4009,
  /** resumeFrom on a server that is not backed by a stream */
  resumeUnavailable: 4010,
  /** resumeFrom older than the stream keeps: the notice names what is gone */
  resumeGap: 4011,
  /** trades or quotes were dropped because the server fell behind the feed (--max-tick-lag) */
  serverBehind: 4012,
} as const;

/** A request refused: answered with an `error` message. */
export interface Rejection {
  id: RequestId;
  code: number;
  message: string;
}

/** The client's request id, echoed in the answer. */
export type RequestId = number | string | null;

/** A parsed request: its op, id and the raw fields. */
export interface Envelope {
  op: unknown;
  id: RequestId;
  fields: Record<string, unknown>;
}

/** Where a resumed subscription starts: a stream sequence or a time (ms). */
export type ResumePoint = { seq: number } | { time: number };

/** A checked subscribe or unsubscribe. */
export interface Subscription {
  op: "subscribe" | "unsubscribe";
  id: RequestId;
  channels: string[];
  symbols: string[];
  /** set when the request names an encoding */
  binary?: boolean;
  /** levels per side for the `book` channel (1..50) */
  depth?: number;
  /** set on a subscribe with resumeFrom (and the value as the client sent it) */
  resume?: ResumePoint;
  resumeFrom?: unknown;
}

/** What a subscription is checked against. */
export interface SubscriptionRules {
  /** windows served (bars:<window>) */
  windows: readonly string[];
  /** channels this server cannot serve, with the reason */
  unavailable?: Record<string, string>;
  /** true when a stream backs the server (resumeFrom allowed) */
  canResume: boolean;
  /** most channel/symbol pairs one request may name (checked before anything else is) */
  maxPairs: number;
}

/** Channels besides bars:<window>. */
export const CHANNELS = ["trades", "quotes", "anomalies", "stats", "book"] as const;

const SYMBOL_RE = /^[\x21-\x7e]{1,8}$/;

const reject = (id: RequestId, code: number, message: string): Rejection => ({
  id,
  code,
  message,
});

/** Checks the size and the JSON of a frame; returns its op, id and fields. */
export function parseEnvelope(data: unknown, maxBytes: number): Envelope | Rejection {
  const size = typeof data === "string" ? data.length : (data as ArrayBuffer).byteLength;
  if (size > maxBytes) {
    return reject(null, ErrorCode.messageTooLarge, `message of ${size} bytes exceeds ${maxBytes}`);
  }
  if (typeof data !== "string") {
    return reject(null, ErrorCode.badRequest, "requests are JSON text frames");
  }
  let req: unknown;
  try {
    req = JSON.parse(data);
  } catch {
    return reject(null, ErrorCode.badJson, "not valid JSON");
  }
  if (typeof req !== "object" || req === null || Array.isArray(req)) {
    return reject(null, ErrorCode.badRequest, "a request is a JSON object");
  }
  const fields = req as Record<string, unknown>;
  const id = typeof fields.id === "number" || typeof fields.id === "string" ? fields.id : null;
  return { op: fields.op, id, fields };
}

const isStrings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string");

function checkChannels(
  id: RequestId,
  op: string,
  channels: string[],
  r: SubscriptionRules,
): Rejection | undefined {
  for (const ch of channels) {
    if (ch.startsWith("bars:")) {
      if (!r.windows.includes(ch.slice(5))) {
        const known = r.windows.join(", ");
        return reject(id, ErrorCode.badWindow, `no window ${ch.slice(5)}; windows: ${known}`);
      }
    } else if (!(CHANNELS as readonly string[]).includes(ch)) {
      return reject(id, ErrorCode.unknownChannel, `unknown channel ${JSON.stringify(ch)}`);
    }
    const why = r.unavailable?.[ch];
    if (why !== undefined && op === "subscribe") return reject(id, ErrorCode.unknownChannel, why);
  }
  return undefined;
}

/** Checks a subscribe or unsubscribe request. */
export function parseSubscription(
  e: Envelope & { op: "subscribe" | "unsubscribe" },
  r: SubscriptionRules,
): Subscription | Rejection {
  const { id, op, fields } = e;
  const channels = fields.channels, symbols = fields.symbols ?? ["*"];
  if (!isStrings(channels)) {
    return reject(id, ErrorCode.badRequest, "channels must be a non-empty array of strings");
  }
  if (!isStrings(symbols)) {
    return reject(id, ErrorCode.badRequest, "symbols must be a non-empty array of strings");
  }
  // the cost is known before it is paid: no walk over 4,000 x 8,000 names
  if (channels.length * symbols.length > r.maxPairs) {
    return reject(
      id,
      ErrorCode.tooManySubscriptions,
      `${channels.length} channels x ${symbols.length} symbols is more than ${r.maxPairs} pairs`,
    );
  }
  const bad = checkChannels(id, op, channels, r);
  if (bad) return bad;
  const sym = symbols.find((s) => s !== "*" && !SYMBOL_RE.test(s));
  if (sym !== undefined) {
    return reject(id, ErrorCode.badSymbol, `bad symbol ${JSON.stringify(sym)}`);
  }
  const sub: Subscription = { op, id, channels, symbols };
  if (channels.includes("book") && op === "subscribe") {
    if (symbols.includes("*")) {
      return reject(id, ErrorCode.badSymbol, "the book channel needs named symbols, not *");
    }
    const d = fields.depth ?? 10;
    if (!Number.isInteger(d) || (d as number) < 1 || (d as number) > 50) {
      return reject(id, ErrorCode.badRequest, "depth must be a whole number 1..50");
    }
    sub.depth = d as number;
  }
  if (fields.encoding !== undefined) {
    if (fields.encoding !== "json" && fields.encoding !== "flatbuffers") {
      return reject(id, ErrorCode.badRequest, "encoding must be json or flatbuffers");
    }
    sub.binary = fields.encoding === "flatbuffers";
  }
  if (fields.resumeFrom === undefined) return sub;
  if (op !== "subscribe") return reject(id, ErrorCode.badRequest, "resumeFrom goes with subscribe");
  if (!r.canResume) {
    return reject(
      id,
      ErrorCode.resumeUnavailable,
      "resumeFrom needs a server backed by a stream (--role gateway)",
    );
  }
  const p = resumePoint(fields.resumeFrom);
  if (typeof p === "string") return reject(id, ErrorCode.badRequest, p);
  return { ...sub, resume: p, resumeFrom: fields.resumeFrom };
}

/** Validates a resumeFrom value; a string is the error. */
export function resumePoint(v: unknown): ResumePoint | string {
  const why =
    'resumeFrom: a stream sequence (integer >= 0), an ISO-8601 time, {"seq":N} or {"time":"..."}';
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length !== 1) return why;
    v = o.seq ?? o.time;
    if (o.seq !== undefined && typeof o.seq !== "number") return why;
    if (o.time !== undefined && typeof o.time !== "string") return why;
  }
  if (typeof v === "number") {
    return Number.isSafeInteger(v) && v >= 0 ? { seq: v } : why;
  }
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const t = parseTimeMs(v);
    return Number.isFinite(t) ? { time: t } : why;
  }
  return why;
}
