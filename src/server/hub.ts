/**
 * WebSocket subscriptions: parses client requests, keeps each connection's
 * subscriptions, and fans events out. A message body is serialised once per
 * event and shared by every subscriber (each connection only adds its own
 * `seq`). A slow consumer never slows the pipeline or other clients: when a
 * socket's send buffer passes the high-water mark, bars and stats are
 * conflated (only the latest per key is kept) and other messages are
 * dropped with a notice, or the client is disconnected (`--slow-policy`).
 *
 * Protocol (JSON text frames): requests
 * `{"op":"subscribe"|"unsubscribe","id":N,"channels":[...],"symbols":[...]}`,
 * `{"op":"list","id":N}`, `{"op":"ping","id":N}`, `{"op":"auth","id":N,"token":"..."}`;
 * channels `trades`, `quotes`, `bars:<window>`, `anomalies`, `stats`;
 * symbols by name or `"*"`. Server messages carry `type` and `seq`.
 *
 * Behind a stream (a cluster gateway), final bars and anomalies also carry
 * `stream_seq`, their position in the JetStream stream, and a subscribe may
 * add `"resumeFrom": N` (a stream sequence: deliver from N on), an ISO-8601
 * time, or `{"seq":N}` / `{"time":"..."}`: that connection then gets its final
 * bars and anomalies from its own replay of the stream, in stream order, with
 * no gap and no duplicate, and is paced by its socket (nothing is dropped).
 *
 * @example
 * ```ts
 * import { ErrorCode } from "./hub.ts";
 * console.log(ErrorCode.unknownChannel); // 4003
 * ```
 * @module
 */
import type { AnomalyJson, BarJson, MarketState } from "./state.ts";
import type { TickEvent } from "../bars/events.ts";
import { scalePrice } from "../bars/ndjson.ts";
import { isoNs } from "../bars/duration.ts";
import { TickWant } from "../pipeline/consumer.ts";
import { encodeBarMessage, type TradeJson } from "./outbound.ts";

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
} as const;

/** Where a resumed subscription starts: a stream sequence or a time (ms). */
export type ResumePoint = { seq: number } | { time: number };

/** A final bar or anomaly replayed from the stream. */
export interface Replayed {
  kind: "bar" | "anomaly";
  /** the JSON form (bar or anomaly fields) */
  json: BarJson | AnomalyJson;
  streamSeq: number;
  /** the FlatBuffers message, stream position patched in */
  bytes: Uint8Array;
  /** messages still to replay after this one (0 = caught up) */
  pending: number;
}

/** A running replay of the stream for one connection. */
export interface Replay {
  close(): void;
}

/**
 * The stream behind a gateway's hub. `open` replays from a point, calling
 * `deliver` for each message in stream order and awaiting it (backpressure);
 * `onGap` reports that the start is older than what the stream keeps;
 * `onError` that the replay could not be set up at all.
 */
export interface ReplaySource {
  open(
    from: ResumePoint,
    deliver: (m: Replayed) => Promise<void> | void,
    onGap: (requested: number, firstKept: number) => void,
    onError: (message: string) => void,
  ): Replay;
}

/** Most conflated messages kept for one slow client. */
const MAX_CONFLATED = 10_000;

/** Close code used when a slow consumer is disconnected. */
export const CLOSE_SLOW = 4009;

/** Hub settings. */
export interface HubOptions {
  token?: string;
  slowPolicy: "drop" | "disconnect";
  maxSubscriptions: number;
  maxMessageBytes: number;
  /** send-buffer bytes above which a client counts as slow */
  highWater: number;
  heartbeatMs: number;
  /** the stream behind this server (gateways); undefined = no resumeFrom */
  replay?: ReplaySource;
  /** TickWant bits always set (a processor publishing trades needs them) */
  baseWant?: number;
  /** channels this server cannot serve, with the reason (gateways: quotes) */
  unavailable?: Record<string, string>;
}

interface Client {
  ws: WebSocket;
  seq: number;
  authed: boolean;
  binary: boolean;
  subs: Map<string, Set<string>>; // channel -> symbols ("*" allowed)
  count: number;
  conflated: Map<string, string>; // key -> body (bars, stats) waiting for room
  dropped: number;
  slow: boolean;
  /** set when the client resumed: its final bars and anomalies come from here */
  replay?: Replay;
  /** replay position reached caught-up once */
  caughtUp: boolean;
}

const SYMBOL_RE = /^[\x21-\x7e]{1,8}$/;

/** Counters shown in /v1/stats and /metrics. */
export interface HubStats {
  clients: number;
  messages_sent: number;
  slow_dropped: number;
  slow_conflated: number;
  slow_disconnects: number;
  errors_sent: number;
}

/** The subscription hub. */
export class Hub {
  readonly stats: HubStats = {
    clients: 0,
    messages_sent: 0,
    slow_dropped: 0,
    slow_conflated: 0,
    slow_disconnects: 0,
    errors_sent: 0,
  };
  private readonly clients = new Set<Client>();
  private readonly timer: ReturnType<typeof setInterval>;
  private lastHeartbeat = Date.now();

  constructor(
    private readonly opts: HubOptions,
    private readonly state: MarketState,
    /** shared word telling the pipeline which per-tick events are wanted */
    private readonly want: Int32Array,
    private readonly statsSource: () => unknown,
  ) {
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

  /** Takes over an upgraded socket. `authed` when the HTTP request carried the token. */
  accept(ws: WebSocket, authed: boolean): void {
    const c: Client = {
      ws,
      seq: 0,
      authed: authed || !this.opts.token,
      binary: false,
      subs: new Map(),
      count: 0,
      conflated: new Map(),
      dropped: 0,
      slow: false,
      caughtUp: false,
    };
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      this.clients.add(c);
      this.stats.clients = this.clients.size;
    };
    ws.onmessage = (e) => this.onMessage(c, e.data);
    ws.onclose = () => {
      c.replay?.close();
      c.replay = undefined;
      this.clients.delete(c);
      this.stats.clients = this.clients.size;
      this.updateWant();
    };
    ws.onerror = () => {};
  }

  // ------------------------------------------------------------ requests

  private onMessage(c: Client, data: unknown): void {
    const size = typeof data === "string" ? data.length : (data as ArrayBuffer).byteLength;
    if (size > this.opts.maxMessageBytes) {
      return this.error(
        c,
        null,
        ErrorCode.messageTooLarge,
        `message of ${size} bytes exceeds ${this.opts.maxMessageBytes}`,
      );
    }
    if (typeof data !== "string") {
      return this.error(c, null, ErrorCode.badRequest, "requests are JSON text frames");
    }
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(data);
    } catch {
      return this.error(c, null, ErrorCode.badJson, "not valid JSON");
    }
    if (typeof req !== "object" || req === null || Array.isArray(req)) {
      return this.error(c, null, ErrorCode.badRequest, "a request is a JSON object");
    }
    const id = typeof req.id === "number" || typeof req.id === "string" ? req.id : null;
    const op = req.op;
    if (op === "auth") {
      if (this.opts.token && req.token === this.opts.token) {
        c.authed = true;
        return this.send(
          c,
          `{"type":"ack","op":"auth","id":${JSON.stringify(id)},"subscriptions":{}}`,
        );
      }
      return this.error(c, id, ErrorCode.notAuthenticated, "bad token");
    }
    if (!c.authed) {
      return this.error(
        c,
        id,
        ErrorCode.notAuthenticated,
        'authenticate first: {"op":"auth","token":...}',
      );
    }
    switch (op) {
      case "ping":
        return this.send(
          c,
          `{"type":"ack","op":"ping","id":${JSON.stringify(id)},"subscriptions":${
            this.subsJson(c)
          }}`,
        );
      case "list":
        return this.send(
          c,
          `{"type":"ack","op":"list","id":${JSON.stringify(id)},"subscriptions":${
            this.subsJson(c)
          },"symbols":${
            JSON.stringify(this.state.names.filter((n) => n !== undefined))
          },"windows":${JSON.stringify(this.state.windows)}}`,
        );
      case "subscribe":
      case "unsubscribe":
        return this.onSubscribe(c, id, op, req);
      default:
        return this.error(c, id, ErrorCode.unknownOp, `unknown op ${JSON.stringify(op)}`);
    }
  }

  private onSubscribe(c: Client, id: unknown, op: string, req: Record<string, unknown>): void {
    const channels = req.channels, symbols = req.symbols ?? ["*"];
    if (
      !Array.isArray(channels) || channels.length === 0 ||
      !channels.every((x) => typeof x === "string")
    ) {
      return this.error(
        c,
        id,
        ErrorCode.badRequest,
        "channels must be a non-empty array of strings",
      );
    }
    if (
      !Array.isArray(symbols) || symbols.length === 0 ||
      !symbols.every((x) => typeof x === "string")
    ) {
      return this.error(
        c,
        id,
        ErrorCode.badRequest,
        "symbols must be a non-empty array of strings",
      );
    }
    for (const ch of channels as string[]) {
      if (ch.startsWith("bars:")) {
        if (!this.state.windows.includes(ch.slice(5))) {
          return this.error(
            c,
            id,
            ErrorCode.badWindow,
            `no window ${ch.slice(5)}; windows: ${this.state.windows.join(", ")}`,
          );
        }
      } else if (!["trades", "quotes", "anomalies", "stats"].includes(ch)) {
        return this.error(c, id, ErrorCode.unknownChannel, `unknown channel ${JSON.stringify(ch)}`);
      }
      const why = this.opts.unavailable?.[ch];
      if (why !== undefined && op === "subscribe") {
        return this.error(c, id, ErrorCode.unknownChannel, why);
      }
    }
    for (const s of symbols as string[]) {
      if (s !== "*" && !SYMBOL_RE.test(s)) {
        return this.error(c, id, ErrorCode.badSymbol, `bad symbol ${JSON.stringify(s)}`);
      }
    }
    if (req.encoding !== undefined) {
      if (req.encoding !== "json" && req.encoding !== "flatbuffers") {
        return this.error(c, id, ErrorCode.badRequest, "encoding must be json or flatbuffers");
      }
      c.binary = req.encoding === "flatbuffers";
    }
    let resume: ResumePoint | undefined;
    if (req.resumeFrom !== undefined) {
      if (op !== "subscribe") {
        return this.error(c, id, ErrorCode.badRequest, "resumeFrom goes with subscribe");
      }
      if (!this.opts.replay) {
        return this.error(
          c,
          id,
          ErrorCode.resumeUnavailable,
          "resumeFrom needs a server backed by a stream (--role gateway)",
        );
      }
      const r = resumePoint(req.resumeFrom);
      if (typeof r === "string") return this.error(c, id, ErrorCode.badRequest, r);
      resume = r;
    }
    if (op === "subscribe") {
      let added = 0;
      for (const ch of channels as string[]) {
        for (const s of symbols as string[]) if (!c.subs.get(ch)?.has(s)) added++;
      }
      if (c.count + added > this.opts.maxSubscriptions) {
        return this.error(
          c,
          id,
          ErrorCode.tooManySubscriptions,
          `at most ${this.opts.maxSubscriptions} channel/symbol pairs per connection`,
        );
      }
      for (const ch of channels as string[]) {
        let set = c.subs.get(ch);
        if (!set) c.subs.set(ch, set = new Set());
        for (const s of symbols as string[]) set.add(s);
      }
      c.count += added;
    } else {
      for (const ch of channels as string[]) {
        const set = c.subs.get(ch);
        if (!set) continue;
        for (const s of symbols as string[]) if (set.delete(s)) c.count--;
        if (set.size === 0) c.subs.delete(ch);
      }
    }
    this.updateWant();
    this.send(
      c,
      `{"type":"ack","op":"${op}","id":${JSON.stringify(id)},"subscriptions":${this.subsJson(c)}${
        resume ? `,"resumeFrom":${JSON.stringify(req.resumeFrom)}` : ""
      }}`,
    );
    if (op === "subscribe") {
      this.snapshot(c, channels as string[], symbols as string[], resume !== undefined);
    }
    if (resume) this.startReplay(c, resume);
  }

  /** (Re)starts a client's replay of the stream from a point. */
  private startReplay(c: Client, from: ResumePoint): void {
    c.replay?.close();
    c.caughtUp = false;
    const live = () => c.ws.readyState === WebSocket.OPEN && c.replay === replay;
    const replay: Replay = this.opts.replay!.open(
      from,
      async (m) => {
        if (!live()) return;
        const ch = m.kind === "bar" ? `bars:${(m.json as BarJson).window}` : "anomalies";
        if (this.wants(c, ch, m.json.symbol)) {
          // paced by the socket: a resumed client is never dropped from
          while (live() && c.ws.bufferedAmount > this.opts.highWater) {
            await new Promise((r) => setTimeout(r, 5));
          }
          if (!live()) return;
          this.sendDurable(c, m.kind, m.json, m.streamSeq, m.bytes);
        }
        if (m.pending === 0 && !c.caughtUp) {
          c.caughtUp = true;
          this.send(c, `{"type":"caught_up","stream_seq":${m.streamSeq}}`);
        }
      },
      (requested, firstKept) => {
        if (!live()) return;
        this.error(
          c,
          null,
          ErrorCode.resumeGap,
          `resumeFrom ${requested} is older than the stream keeps (retention): it starts at ${firstKept}`,
        );
      },
      (message) => {
        if (live()) this.error(c, null, ErrorCode.resumeUnavailable, `replay failed: ${message}`);
      },
    );
    c.replay = replay;
  }

  /** Sends a final bar or anomaly with its stream position (resumed clients). */
  private sendDurable(
    c: Client,
    kind: "bar" | "anomaly",
    json: BarJson | AnomalyJson,
    streamSeq: number,
    bytes: Uint8Array,
  ): void {
    if (kind === "bar" && c.binary) return this.sendBinary(c, bytes);
    this.send(c, durableBody(kind, json, streamSeq));
  }

  private subsJson(c: Client): string {
    const o: Record<string, string[]> = {};
    for (const [ch, set] of c.subs) o[ch] = [...set].sort();
    return JSON.stringify(o);
  }

  /** Latest bar per subscribed window and symbol, and the last trades. */
  private snapshot(c: Client, channels: string[], symbols: string[], resuming = false): void {
    const names = symbols.includes("*") ? this.state.names.filter((n) => n !== undefined) : symbols;
    const bars: BarJson[] = [];
    for (const ch of channels) {
      if (!ch.startsWith("bars:")) continue;
      for (const s of names) {
        const b = this.state.latestBar.get(`${s}|${ch.slice(5)}`);
        // a resumed client gets final bars from its replay, exactly once
        if (b && !((resuming || c.replay) && b.final)) bars.push(b);
      }
    }
    const trades = names.map((s) =>
      this.state.latestTick(s)?.trade ? { symbol: s, ...this.state.latestTick(s)!.trade } : null
    )
      .filter((x) => x !== null);
    this.send(c, `{"type":"snapshot",${JSON.stringify({ bars, trades }).slice(1)}`);
  }

  private updateWant(): void {
    let want = this.opts.baseWant ?? 0;
    for (const c of this.clients) {
      if (c.subs.has("trades")) want |= TickWant.trades;
      if (c.subs.has("quotes")) want |= TickWant.quotes;
    }
    Atomics.store(this.want, 0, want);
  }

  // ------------------------------------------------------------ sending

  private send(c: Client, body: string): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    c.ws.send(`{"seq":${++c.seq},${body.slice(1)}`);
    this.stats.messages_sent++;
  }

  /** A binary frame: the connection's 4-byte little-endian seq, then a FlatBuffers message. */
  private sendBinary(c: Client, bytes: Uint8Array): void {
    const frame = new Uint8Array(4 + bytes.length);
    new DataView(frame.buffer).setUint32(0, ++c.seq, true);
    frame.set(bytes, 4);
    c.ws.send(frame);
    this.stats.messages_sent++;
  }

  private error(c: Client, id: unknown, code: number, message: string): void {
    this.stats.errors_sent++;
    this.send(
      c,
      `{"type":"error","id":${JSON.stringify(id ?? null)},"code":${code},"message":${
        JSON.stringify(message)
      }}`,
    );
  }

  private wants(c: Client, channel: string, symbol: string): boolean {
    const set = c.subs.get(channel);
    return set !== undefined && (set.has("*") || set.has(symbol));
  }

  /** Sends `body` to a client, minding its send buffer. `key` set = conflatable. */
  private deliver(c: Client, body: string, key?: string, bin?: Uint8Array): void {
    if (!c.authed || c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount > this.opts.highWater) {
      c.slow = true;
      if (key !== undefined) {
        if (c.conflated.has(key)) this.stats.slow_conflated++;
        else if (c.conflated.size >= MAX_CONFLATED) {
          // bounded: the oldest waiting message goes, counted as dropped
          c.conflated.delete(c.conflated.keys().next().value!);
          c.dropped++;
          this.stats.slow_dropped++;
        }
        c.conflated.set(key, body);
        return;
      }
      if (this.opts.slowPolicy === "disconnect") {
        this.stats.slow_disconnects++;
        c.ws.close(CLOSE_SLOW, "slow consumer");
        return;
      }
      c.dropped++;
      this.stats.slow_dropped++;
      return;
    }
    if (bin && c.binary) return this.sendBinary(c, bin);
    this.send(c, body);
  }

  /** Periodic: heartbeats, stats, draining conflated messages of slow clients. */
  private tick(): void {
    const now = Date.now();
    for (const c of this.clients) {
      if (!c.slow || c.ws.readyState !== WebSocket.OPEN) continue;
      if (c.ws.bufferedAmount > this.opts.highWater / 2) continue;
      c.slow = false;
      if (c.dropped > 0) {
        this.error(c, null, ErrorCode.slowConsumer, `slow consumer: ${c.dropped} messages dropped`);
        c.dropped = 0;
      }
      for (const body of c.conflated.values()) this.send(c, body);
      c.conflated.clear();
    }
    if (now - this.lastHeartbeat >= this.opts.heartbeatMs) {
      this.lastHeartbeat = now;
      const hb = `{"type":"heartbeat","time":"${new Date(now).toISOString()}"}`;
      for (const c of this.clients) if (c.authed) this.deliver(c, hb);
      this.publishStats();
    }
  }

  private publishStats(): void {
    let any = false;
    for (const c of this.clients) if (c.subs.has("stats")) any = true;
    if (!any) return;
    const body = `{"type":"stats",${JSON.stringify(this.statsSource()).slice(1)}`;
    for (const c of this.clients) if (c.subs.has("stats")) this.deliver(c, body, "stats");
  }

  // ------------------------------------------------------------ events

  /**
   * A bar (final or in progress). `streamSeq` > 0: a final bar from the
   * stream (gateways), whose FlatBuffers form may come along in `bytes`.
   */
  bar(b: BarJson, streamSeq = 0, bytes?: Uint8Array): void {
    const ch = `bars:${b.window}`;
    let body: string | undefined, bin: Uint8Array | undefined = bytes;
    for (const c of this.clients) {
      if (!this.wants(c, ch, b.symbol)) continue;
      if (streamSeq > 0 && c.replay) continue; // its replay delivers this one
      body ??= streamSeq > 0
        ? durableBody("bar", b, streamSeq)
        : `{"type":"bar",${JSON.stringify(b).slice(1)}`;
      if (c.binary) bin ??= encodeBarMessage(b);
      // in-progress updates conflate per bar; final bars and revisions too
      // (a later version of the same bar supersedes an unsent one)
      this.deliver(c, body, `bar|${ch}|${b.symbol}|${b.start}`, bin);
    }
  }

  /** A trade that arrived as JSON fields (a gateway's NATS subscription). */
  trade(t: TradeJson): void {
    let body: string | undefined;
    for (const c of this.clients) {
      if (!this.wants(c, "trades", t.symbol)) continue;
      body ??= `{"type":"trade",${JSON.stringify(t).slice(1)}`;
      this.deliver(c, body);
    }
  }

  /** A trade or quote. */
  tickEvent(t: TickEvent): void {
    const ch = t.kind === "trade" ? "trades" : "quotes";
    const sym = this.state.names[t.symbol];
    let body: string | undefined;
    for (const c of this.clients) {
      if (!this.wants(c, ch, sym)) continue;
      body ??= t.kind === "trade"
        ? JSON.stringify({
          type: "trade",
          symbol: sym,
          time: isoNs(t.sec, t.nsec),
          price: scalePrice(t.price, t.exp),
          size: t.size,
          side: t.side === 1 ? "buy" : t.side === 2 ? "sell" : "unknown",
          sequence: t.seq,
        })
        : JSON.stringify({
          type: "quote",
          symbol: sym,
          time: isoNs(t.sec, t.nsec),
          bid: scalePrice(t.price, t.exp),
          bid_size: t.size,
          ask: scalePrice(t.price2, t.exp),
          ask_size: t.size2,
          sequence: t.seq,
        });
      this.deliver(c, body);
    }
  }

  /** A late tick: to subscribers of any bars channel for that symbol. */
  late(l: { symbol: string; time: string; seq: number; price: number; size: number }): void {
    const body = JSON.stringify({ type: "late", ...l });
    for (const c of this.clients) {
      for (const ch of c.subs.keys()) {
        if (ch.startsWith("bars:") && this.wants(c, ch, l.symbol)) {
          this.deliver(c, body);
          break;
        }
      }
    }
  }

  /** A sequence gap: to every subscribed client. */
  gap(session: number, first: number, last: number): void {
    const body = JSON.stringify({ type: "gap", session, first, last });
    for (const c of this.clients) if (c.subs.size > 0) this.deliver(c, body);
  }

  /** An anomaly; `streamSeq` > 0 when it came from the stream (gateways). */
  anomaly(a: AnomalyJson, streamSeq = 0): void {
    let body: string | undefined;
    for (const c of this.clients) {
      if (!this.wants(c, "anomalies", a.symbol)) continue;
      if (streamSeq > 0 && c.replay) continue; // its replay delivers this one
      body ??= streamSeq > 0
        ? durableBody("anomaly", a, streamSeq)
        : JSON.stringify({ type: "anomaly", ...a });
      this.deliver(c, body);
    }
  }
}

/** JSON of a final bar or anomaly with its stream position. */
function durableBody(kind: "bar" | "anomaly", j: BarJson | AnomalyJson, streamSeq: number): string {
  return `{"type":"${kind}","stream_seq":${streamSeq},${JSON.stringify(j).slice(1)}`;
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
    const t = Date.parse(v);
    return Number.isFinite(t) ? { time: t } : why;
  }
  return why;
}
