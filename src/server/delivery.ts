/**
 * One WebSocket connection and the slow-consumer policy. A message goes
 * out at once while the socket's send buffer is below the high-water mark;
 * above it the client is slow: conflatable messages (bars, stats: a `key`)
 * keep only their latest version, bounded, and the rest are dropped and
 * counted (`--slow-policy drop`, with a notice once the client recovers)
 * or the client is disconnected (`disconnect`, close code 4009). A slow
 * client never holds up the pipeline or other clients.
 *
 * Every text message carries the connection's own `seq` (1, 2, ...); a
 * binary frame is that sequence as 4 little-endian bytes, then a
 * FlatBuffers message.
 *
 * @example
 * ```ts ignore
 * const c = new Connection(ws, true, { slowPolicy: "drop", highWater: 1 << 20 }, newDeliveryStats());
 * c.deliver('{"type":"heartbeat"}');
 * ```
 * @module
 */
import { ErrorCode, type RequestId } from "./requests.ts";
import { errorBody } from "./messages.ts";

/** Most conflated messages kept for one slow client. */
export const MAX_CONFLATED = 10_000;

/** Close code used when a slow consumer is disconnected. */
export const CLOSE_SLOW = 4009;

/** Slow-consumer settings. */
export interface DeliveryOptions {
  slowPolicy: "drop" | "disconnect";
  /** send-buffer bytes above which a client counts as slow */
  highWater: number;
  /** set by the hub while all clients together buffer more than it allows: every client is slow */
  overBudget?: { over: boolean };
}

/** Counters shared by every connection of a hub. */
export interface DeliveryStats {
  messages_sent: number;
  slow_dropped: number;
  slow_conflated: number;
  slow_disconnects: number;
  /** trade/quote messages not sent because the server was more than --max-tick-lag behind */
  lag_dropped: number;
  errors_sent: number;
}

/** Fresh delivery counters. */
export function newDeliveryStats(): DeliveryStats {
  return {
    messages_sent: 0,
    slow_dropped: 0,
    slow_conflated: 0,
    slow_disconnects: 0,
    lag_dropped: 0,
    errors_sent: 0,
  };
}

/** A running replay of the stream for one connection. */
export interface Replay {
  close(): void;
}

/** A subscriber's socket, subscriptions and send state. */
export class Connection {
  seq = 0;
  binary = false;
  /** channel -> symbols ("*" allowed) */
  readonly subs = new Map<string, Set<string>>();
  /** channel/symbol pairs subscribed */
  count = 0;
  /** levels per side of `book` messages (the subscribe's `depth`) */
  bookDepth = 10;
  /** set when the client resumed: its final bars and anomalies come from here */
  replay?: Replay;
  /** the replay reached the end of the stream once */
  caughtUp = false;
  /** wrong tokens sent */
  authFailures = 0;
  /** when the socket was taken over (ms) */
  readonly opened = Date.now();
  /** trades/quotes skipped while the server was behind, not yet told */
  lagged = 0;
  private readonly conflated = new Map<string, string>();
  private dropped = 0;
  private slow = false;

  constructor(
    readonly ws: WebSocket,
    public authed: boolean,
    private readonly opts: DeliveryOptions,
    private readonly stats: DeliveryStats,
  ) {}

  /** True while the socket is open. */
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** True when the send buffer is above the high-water mark. */
  get congested(): boolean {
    return this.ws.bufferedAmount > this.opts.highWater || this.opts.overBudget?.over === true;
  }

  /** Sends a text body now (adds this connection's seq). */
  send(body: string): void {
    if (!this.open) return;
    this.ws.send(`{"seq":${++this.seq},${body.slice(1)}`);
    this.stats.messages_sent++;
  }

  /** Sends a binary frame now: 4-byte little-endian seq, then the FlatBuffers message. */
  sendBinary(bytes: Uint8Array): void {
    const frame = new Uint8Array(4 + bytes.length);
    new DataView(frame.buffer).setUint32(0, ++this.seq, true);
    frame.set(bytes, 4);
    this.ws.send(frame);
    this.stats.messages_sent++;
  }

  /** Sends an `error` message. */
  error(id: RequestId, code: number, message: string): void {
    this.stats.errors_sent++;
    this.send(errorBody(id, code, message));
  }

  /** True when subscribed to `channel` for `symbol` (or "*"). */
  wants(channel: string, symbol: string): boolean {
    const set = this.subs.get(channel);
    return set !== undefined && (set.has("*") || set.has(symbol));
  }

  /** Sends `body` minding the send buffer; `key` set = conflatable; `bin` for binary clients. */
  deliver(body: string, key?: string, bin?: Uint8Array): void {
    if (!this.authed || !this.open) return;
    if (!this.congested) {
      if (bin && this.binary) return this.sendBinary(bin);
      return this.send(body);
    }
    this.slow = true;
    if (key !== undefined) return this.conflate(key, body);
    if (this.opts.slowPolicy === "disconnect") {
      this.stats.slow_disconnects++;
      this.ws.close(CLOSE_SLOW, "slow consumer");
      return;
    }
    this.dropped++;
    this.stats.slow_dropped++;
  }

  private conflate(key: string, body: string): void {
    if (this.conflated.has(key)) this.stats.slow_conflated++;
    else if (this.conflated.size >= MAX_CONFLATED) {
      // bounded: the oldest waiting message goes, counted as dropped
      this.conflated.delete(this.conflated.keys().next().value!);
      this.dropped++;
      this.stats.slow_dropped++;
    }
    this.conflated.set(key, body);
  }

  /** A trade or quote skipped because the server was behind (told with the next one sent). */
  skip(): void {
    this.lagged++;
    this.stats.lag_dropped++;
  }

  /** Tells the client how many trades/quotes it missed while the server was behind. */
  tellLag(): void {
    const why = `server behind the feed: ${this.lagged} trade/quote messages dropped`;
    this.lagged = 0;
    this.error(null, ErrorCode.serverBehind, why);
  }

  /** A slow client whose buffer fell below half the mark gets the drop notice and what waited. */
  recover(): void {
    if (!this.slow || !this.open || this.ws.bufferedAmount > this.opts.highWater / 2) return;
    this.slow = false;
    if (this.dropped > 0) {
      this.error(null, ErrorCode.slowConsumer, `slow consumer: ${this.dropped} messages dropped`);
      this.dropped = 0;
    }
    for (const body of this.conflated.values()) this.send(body);
    this.conflated.clear();
  }

  /** The subscriptions: channel -> sorted symbols. */
  subscriptions(): Record<string, string[]> {
    const o: Record<string, string[]> = {};
    for (const [ch, set] of this.subs) o[ch] = [...set].sort();
    return o;
  }
}
