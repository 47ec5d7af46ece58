/**
 * WebSocket subscriptions: takes over upgraded sockets, answers requests
 * (checked in `requests.ts`), keeps each connection's subscriptions and fans
 * events out. A message body is serialised once per event and shared by
 * every subscriber (each connection only adds its own `seq`); what a slow
 * subscriber does is `delivery.ts`'s business, resumed subscriptions are
 * `replay.ts`'s. The hub tells its owner which per-tick events anyone wants
 * through `onDemand` and `onInterest` (`demand.ts`); it never touches the
 * pipeline.
 *
 * Protocol: the README's table (ops, message types, error codes).
 *
 * @example
 * ```ts ignore
 * const hub = new Hub(opts, state, () => stats);
 * hub.accept(socket, true);
 * hub.bar(barJson);
 * ```
 * @module
 */
import type { MarketState } from "./state.ts";
import {
  ackBody,
  type AnomalyJson,
  type BarJson,
  body,
  durableBody,
  type GapJson,
  heartbeatBody,
  type LateJson,
  quoteEventJson,
  tradeEventJson,
  type TradeJson,
} from "./messages.ts";
import type { TickEvent } from "../pipeline/events.ts";
import { BookFeed, type BookSource } from "./book_feed.ts";
import { SubIndex } from "./sub_index.ts";
import { encodeBarMessage } from "./outbound.ts";
import {
  type Envelope,
  ErrorCode,
  parseEnvelope,
  parseSubscription,
  type Subscription,
} from "./requests.ts";
import {
  Connection,
  type DeliveryOptions,
  type DeliveryStats,
  newDeliveryStats,
} from "./delivery.ts";
import { type ReplaySource, startReplay } from "./replay.ts";
import { timingSafeEqual } from "./auth.ts";
import { type DemandListener, TickDemand } from "./demand.ts";

export { CLOSE_SLOW } from "./delivery.ts";
export type { Demand } from "./demand.ts";
export { ErrorCode, type ResumePoint, resumePoint } from "./requests.ts";
export type { Replayed, ReplaySource } from "./replay.ts";
export type { Replay } from "./delivery.ts";

/** Hub settings. */
export interface HubOptions extends DeliveryOptions, DemandListener {
  token?: string;
  maxSubscriptions: number;
  maxMessageBytes: number;
  heartbeatMs: number;
  /** the stream behind this server (gateways); undefined = no resumeFrom */
  replay?: ReplaySource;
  /** channels this server cannot serve, with the reason (gateways: quotes) */
  unavailable?: Record<string, string>;
  /** order books (--protocol itch) for the `book` channel */
  books?: BookSource;
  /** most sockets at once (a new one past it is refused before the upgrade) */
  maxClients?: number;
  /** most bytes all sockets together may buffer (256 MiB); past it every client is slow */
  maxBufferedTotal?: number;
  /** wrong tokens a socket may send before it is closed (3) */
  maxAuthFailures?: number;
  /** a socket that has not authenticated by then is closed, ms (10 s) */
  authTimeoutMs?: number;
}

/** Close code for a socket that failed to authenticate. */
export const CLOSE_AUTH = 4008;

/** Counters shown in /v1/stats and /metrics. */
export interface HubStats extends DeliveryStats {
  clients: number;
  /** sockets closed for wrong tokens or for not authenticating in time */
  auth_closed: number;
  /** bytes all sockets buffer, as of the last periodic pass */
  buffered_bytes: number;
}

/** The subscription hub. */
export class Hub {
  readonly stats: HubStats = {
    clients: 0,
    auth_closed: 0,
    buffered_bytes: 0,
    ...newDeliveryStats(),
  };
  private readonly clients = new Set<Connection>();
  /** subscribers by channel and symbol: events cost their audience, not every client */
  private readonly index = new SubIndex<Connection>();
  private readonly timer: ReturnType<typeof setInterval>;
  private lastHeartbeat = Date.now();
  /** who wants trades and quotes, told to the pipeline */
  readonly demand: TickDemand;
  /** sockets accepted but not open yet */
  private pending = 0;

  private readonly budget = { over: false };
  private readonly opts: HubOptions;
  private readonly books?: BookFeed;

  constructor(
    opts: HubOptions,
    private readonly state: MarketState,
    private readonly statsSource: () => unknown,
  ) {
    this.opts = { ...opts, overBudget: this.budget };
    if (opts.books) this.books = new BookFeed(opts.books);
    this.demand = new TickDemand(this.index, opts);
    this.timer = setInterval(() => this.tick(), 50);
  }

  /** Stops timers and closes every socket. */
  close(): void {
    clearInterval(this.timer);
    for (const c of this.clients) {
      try {
        c.ws.close(1001, "server shutting down");
      } catch { /* already closed */ }
    }
  }

  /** Clients subscribed to each channel (for /metrics; computed on demand). */
  subscribers(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.clients) for (const ch of c.subs.keys()) out[ch] = (out[ch] ?? 0) + 1;
    return out;
  }

  /** True when no more sockets are taken (`maxClients`). */
  full(): boolean {
    return this.pending + this.clients.size >= (this.opts.maxClients ?? Infinity);
  }

  /** Takes over an upgraded socket. `authed` when the HTTP request carried the token. */
  accept(ws: WebSocket, authed: boolean): void {
    const c = new Connection(ws, authed || !this.opts.token, this.opts, this.stats);
    ws.binaryType = "arraybuffer";
    this.pending++;
    ws.onopen = () => {
      this.pending--;
      this.clients.add(c);
      this.stats.clients = this.clients.size;
    };
    ws.onmessage = (e) => this.onMessage(c, e.data);
    ws.onclose = () => {
      if (!this.clients.has(c)) this.pending = Math.max(0, this.pending - 1);
      c.replay?.close();
      c.replay = undefined;
      for (const [ch, syms] of c.subs) for (const sym of syms) this.index.remove(ch, sym, c);
      this.clients.delete(c);
      this.stats.clients = this.clients.size;
      for (const [ch, syms] of c.subs) this.demand.changed([ch], syms);
    };
    ws.onerror = () => {};
  }

  // ------------------------------------------------------------ requests

  private onMessage(c: Connection, data: unknown): void {
    const e = parseEnvelope(data, this.opts.maxMessageBytes);
    if ("code" in e) return c.error(e.id, e.code, e.message);
    if (e.op === "auth") return this.onAuth(c, e);
    if (!c.authed) {
      const why = 'authenticate first: {"op":"auth","token":...}';
      return c.error(e.id, ErrorCode.notAuthenticated, why);
    }
    this.onOp(c, e);
  }

  private onAuth(c: Connection, e: Envelope): void {
    const token = e.fields.token;
    if (this.opts.token && typeof token === "string" && timingSafeEqual(token, this.opts.token)) {
      c.authed = true;
      return c.send(ackBody("auth", e.id, {}));
    }
    c.error(e.id, ErrorCode.notAuthenticated, "bad token");
    if (++c.authFailures >= (this.opts.maxAuthFailures ?? 3)) {
      this.stats.auth_closed++;
      c.ws.close(CLOSE_AUTH, "too many wrong tokens");
    }
  }

  private onOp(c: Connection, e: Envelope): void {
    switch (e.op) {
      case "ping":
        return c.send(ackBody("ping", e.id, c.subscriptions()));
      case "list": {
        const symbols = this.state.names.filter((n) => n !== undefined);
        const extra = { symbols, windows: this.state.windows };
        return c.send(ackBody("list", e.id, c.subscriptions(), extra));
      }
      case "subscribe":
      case "unsubscribe": {
        const sub = parseSubscription({ ...e, op: e.op }, {
          windows: this.state.windows,
          unavailable: this.opts.unavailable,
          canResume: this.opts.replay !== undefined,
          maxPairs: this.opts.maxSubscriptions,
        });
        if ("code" in sub) return c.error(sub.id, sub.code, sub.message);
        return this.onSubscribe(c, sub);
      }
      default:
        return c.error(e.id, ErrorCode.unknownOp, `unknown op ${JSON.stringify(e.op)}`);
    }
  }

  private onSubscribe(c: Connection, s: Subscription): void {
    if (s.op === "subscribe") {
      let added = 0;
      for (const ch of s.channels) {
        for (const sym of s.symbols) if (!c.subs.get(ch)?.has(sym)) added++;
      }
      if (c.count + added > this.opts.maxSubscriptions) {
        const why = `at most ${this.opts.maxSubscriptions} channel/symbol pairs per connection`;
        return c.error(s.id, ErrorCode.tooManySubscriptions, why);
      }
      for (const ch of s.channels) {
        let set = c.subs.get(ch);
        if (!set) c.subs.set(ch, set = new Set());
        for (const sym of s.symbols) {
          set.add(sym);
          this.index.add(ch, sym, c);
        }
      }
      c.count += added;
    } else {
      for (const ch of s.channels) {
        const set = c.subs.get(ch);
        if (!set) continue;
        for (const sym of s.symbols) {
          if (!set.delete(sym)) continue;
          c.count--;
          this.index.remove(ch, sym, c);
        }
        if (set.size === 0) c.subs.delete(ch);
      }
    }
    if (s.binary !== undefined) c.binary = s.binary;
    if (s.depth !== undefined) c.bookDepth = s.depth;
    this.demand.changed(s.channels, s.symbols);
    const extra = s.resume ? { resumeFrom: s.resumeFrom } : {};
    c.send(ackBody(s.op, s.id, c.subscriptions(), extra));
    if (s.op === "subscribe") this.snapshot(c, s.channels, s.symbols, s.resume !== undefined);
    if (s.op === "subscribe" && s.channels.includes("book")) this.books?.subscribed(c, s.symbols);
    if (s.resume) startReplay(c, this.opts.replay!, s.resume);
  }

  /** Latest bar per subscribed window and symbol, and the last trades. */
  private snapshot(c: Connection, channels: string[], symbols: string[], resuming: boolean): void {
    // a resumed client gets final bars from its replay, exactly once
    c.send(
      body("snapshot", this.state.snapshot(channels, symbols, resuming || c.replay !== undefined)),
    );
  }

  // ------------------------------------------------------------ periodic

  /** Heartbeats, stats, unauthenticated sockets, and what waited for slow clients. */
  private tick(): void {
    const now = Date.now(), deadline = now - (this.opts.authTimeoutMs ?? 10_000);
    let buffered = 0;
    for (const c of this.clients) buffered += c.ws.bufferedAmount;
    this.budget.over = buffered > (this.opts.maxBufferedTotal ?? 256 << 20);
    this.stats.buffered_bytes = buffered;
    this.books?.poll(this.clients);
    for (const c of this.clients) {
      c.recover();
      if (!c.authed && c.opened < deadline) {
        this.stats.auth_closed++;
        c.ws.close(CLOSE_AUTH, "authentication timed out");
      }
    }
    if (now - this.lastHeartbeat < this.opts.heartbeatMs) return;
    this.lastHeartbeat = now;
    const hb = heartbeatBody(now);
    for (const c of this.clients) if (c.authed) c.deliver(hb);
    this.publishStats();
  }

  private publishStats(): void {
    let b: string | undefined;
    for (const c of this.clients) {
      if (!c.subs.has("stats")) continue;
      b ??= body("stats", this.statsSource() as object);
      c.deliver(b, "stats");
    }
  }

  // ------------------------------------------------------------ events

  /**
   * A bar (final or in progress). `streamSeq` > 0: a final bar from the
   * stream (gateways), whose FlatBuffers form may come along in `bytes`.
   */
  bar(b: BarJson, streamSeq = 0, bytes?: Uint8Array): void {
    const ch = `bars:${b.window}`;
    let text: string | undefined, bin: Uint8Array | undefined = bytes;
    this.index.each(ch, b.symbol, (c) => {
      if (streamSeq > 0 && c.replay) return; // its replay delivers this one
      text ??= streamSeq > 0 ? durableBody("bar", b, streamSeq) : body("bar", b);
      if (c.binary) bin ??= encodeBarMessage(b);
      // in-progress updates conflate per bar; final bars and revisions too
      // (a later version of the same bar supersedes an unsent one)
      c.deliver(text, `bar|${ch}|${b.symbol}|${b.start}`, bin);
    });
  }

  /** A trade that arrived as JSON fields (a gateway's NATS subscription). */
  trade(t: TradeJson): void {
    this.fanOut("trades", t.symbol, () => body("trade", t));
  }

  /** A trade or quote from the pipeline, with its symbol's name; false when nobody wanted it. */
  tickEvent(t: TickEvent, sym: string): boolean {
    if (t.kind === "trade") {
      return this.fanOut("trades", sym, () => body("trade", tradeEventJson(t, sym)));
    }
    return this.fanOut("quotes", sym, () => body("quote", quoteEventJson(t, sym)));
  }

  /** A trade or quote the server is too far behind to send: each subscriber counts it. */
  tickSkipped(t: TickEvent, sym: string): void {
    this.index.each(t.kind === "trade" ? "trades" : "quotes", sym, (c) => c.skip());
  }

  /** A late tick: to subscribers of any bars channel for that symbol. */
  late(l: LateJson): void {
    const text = body("late", l);
    for (const c of this.clients) {
      for (const ch of c.subs.keys()) {
        if (ch.startsWith("bars:") && c.wants(ch, l.symbol)) {
          c.deliver(text);
          break;
        }
      }
    }
  }

  /** A sequence gap: to every subscribed client. */
  gap(g: GapJson): void {
    this.notice("gap", g);
  }

  /** A feed-level message (gap, notice, rejected tick): to every subscribed client. */
  notice(type: "gap" | "notice" | "rejected", fields: object): void {
    const text = body(type, fields);
    for (const c of this.clients) if (c.subs.size > 0) c.deliver(text);
  }

  /** An anomaly; `streamSeq` > 0 when it came from the stream (gateways). */
  anomaly(a: AnomalyJson, streamSeq = 0): void {
    let text: string | undefined;
    this.index.each("anomalies", a.symbol, (c) => {
      if (streamSeq > 0 && c.replay) return; // its replay delivers this one
      text ??= streamSeq > 0 ? durableBody("anomaly", a, streamSeq) : body("anomaly", a);
      c.deliver(text);
    });
  }

  /**
   * Sends one body, built on first need, to the subscribers of a channel
   * and symbol; false when there was none.
   */
  private fanOut(channel: string, symbol: string, make: () => string): boolean {
    let text: string | undefined;
    this.index.each(channel, symbol, (c) => {
      text ??= make();
      if (c.lagged > 0) c.tellLag();
      c.deliver(text);
    });
    return text !== undefined;
  }
}
