/**
 * What a gateway reads from NATS, feeding its market state and hub:
 *
 * - the JetStream stream (final bars, anomalies) through one ordered
 *   consumer for the live fan-out, starting with the last `BACKFILL`
 *   messages so REST queries and snapshots have history at once;
 * - core NATS `tickwire.trades.>` and `tickwire.partial.>` (trades,
 *   in-progress bars);
 * - one more ordered consumer per WebSocket connection that subscribed with
 *   `resumeFrom` (`replaySource`), replaying the stream from that point.
 *
 * @example
 * ```ts ignore
 * const feed = new GatewayFeed(nc, js, jsm, "TICKWIRE", 4096, state);
 * await feed.start(hub);
 * await feed.close();
 * ```
 * @module
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { StreamReader, StreamWatch } from "./stream_reader.ts";
import { ROOT } from "./subjects.ts";
import type { MarketState } from "../server/state.ts";
import type { Hub, Replay, Replayed, ReplaySource, ResumePoint } from "../server/hub.ts";
import { type Decoded, decodeMessage, patchStreamSeq } from "../server/outbound.ts";
import type { TradeJson } from "../server/messages.ts";

/** Messages of the stream a starting gateway loads for history (REST, snapshots). */
const BACKFILL = 100_000;

/** Counters of a gateway (summary, /v1/stats). */
export interface GatewayStats {
  durable_received: number;
  partial_received: number;
  trades_received: number;
  decode_errors: number;
  replays_opened: number;
  replays_active: number;
  /** consumers restarted after a stall (a NATS node died under them) */
  consumer_restarts: number;
  consumer_errors: number;
  last_stream_seq: number;
  symbol_overflow: number;
}

/** Opens a message from the stream: copies it (the client reuses its buffer) and patches its position in. */
function fromStream(data: Uint8Array, seq: number): { bytes: Uint8Array; d: Decoded } {
  const bytes = data.slice();
  patchStreamSeq(bytes, seq);
  return { bytes, d: decodeMessage(bytes) };
}

/** The gateway's NATS side. */
export class GatewayFeed {
  readonly stats: GatewayStats = {
    durable_received: 0,
    partial_received: 0,
    trades_received: 0,
    decode_errors: 0,
    replays_opened: 0,
    replays_active: 0,
    consumer_restarts: 0,
    consumer_errors: 0,
    last_stream_seq: 0,
    symbol_overflow: 0,
  };
  private readonly ids = new Map<string, number>();
  private readonly watch: StreamWatch;
  private readonly readers = new Set<StreamReader>();
  private live?: StreamReader;
  private subs: Subscription[] = [];
  private readonly countError = () => this.stats.consumer_errors++;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly maxSymbols: number,
    private readonly state: MarketState,
  ) {
    this.watch = new StreamWatch(jsm, stream);
  }

  /** Counters with every reader's restarts added in. */
  current(): GatewayStats {
    let restarts = this.stats.consumer_restarts + (this.live?.restarts ?? 0);
    for (const r of this.readers) restarts += r.restarts;
    return { ...this.stats, consumer_restarts: restarts };
  }

  /** Symbols get ids on first sight (bounded by --max-symbols). */
  private symbolId(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      if (this.ids.size >= this.maxSymbols) {
        this.stats.symbol_overflow++;
        return -1;
      }
      this.ids.set(s, id = this.ids.size);
      this.state.onSymbol(id, s);
    }
    return id;
  }

  /** Starts the live fan-out of the stream and the core subscriptions. */
  async start(hub: Hub): Promise<void> {
    const info = await this.jsm.streams.info(this.stream);
    const backfillEnd = info.state.last_seq;
    const startSeq = Math.max(info.state.first_seq, backfillEnd - BACKFILL + 1, 1);
    this.live = new StreamReader(this.js, this.stream, { seq: startSeq }, this.watch, (m) => {
      // the first messages (up to where the stream stood at start) only fill history
      this.onDurable(m, m.seq > backfillEnd ? hub : undefined);
    }, this.countError);
    this.subs = [
      this.onCore(`${ROOT}.trades.>`, (d) => this.onTrades(d, hub)),
      this.onCore(`${ROOT}.partial.>`, (d) => {
        if (d.type !== "bar") return false;
        this.stats.partial_received++;
        this.symbolId(d.bar.symbol);
        hub.bar(this.state.onBar(d.bar));
        return true;
      }),
    ];
  }

  private onDurable(m: JsMsg, hub: Hub | undefined): void {
    let r;
    try {
      r = fromStream(m.data, m.seq);
    } catch {
      this.stats.decode_errors++;
      return;
    }
    this.stats.last_stream_seq = m.seq;
    this.stats.durable_received++;
    if (r.d.type === "bar") {
      this.symbolId(r.d.bar.symbol);
      if (!this.state.windows.includes(r.d.bar.window)) this.state.windows.push(r.d.bar.window);
      this.state.onBar(r.d.bar);
      hub?.bar(r.d.bar, m.seq, r.bytes);
    } else if (r.d.type === "anomaly") {
      this.symbolId(r.d.anomaly.symbol);
      this.state.onAnomaly(r.d.anomaly);
      hub?.anomaly(r.d.anomaly, m.seq);
    }
  }

  private onTrades(d: Decoded, hub: Hub): boolean {
    const one = (t: TradeJson) => {
      this.stats.trades_received++;
      if (this.symbolId(t.symbol) >= 0) this.state.onTrade(t);
      hub.trade(t);
    };
    if (d.type === "trade") one(d.trade);
    else if (d.type === "trades") { for (const t of d.trades) one(t.trade); }
    else return false;
    return true;
  }

  /** Subscribes; `handle` returns false for a message of a kind it does not take (counted). */
  private onCore(subject: string, handle: (d: Decoded) => boolean): Subscription {
    return this.nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) return;
        try {
          if (handle(decodeMessage(m.data))) return;
        } catch { /* malformed: counted below */ }
        this.stats.decode_errors++;
      },
    });
  }

  /** The stream as a source of per-connection replays (resumeFrom). */
  replaySource(): ReplaySource {
    return {
      open: (from, deliver, onGap, onError) => this.openReplay(from, deliver, onGap, onError),
    };
  }

  /** The stream's first sequence; a node may be failing over, so it asks for a while. */
  private async firstSeq(closed: () => boolean): Promise<number | string> {
    let why = "";
    for (let i = 0; i < 20 && !closed(); i++) {
      try {
        return (await this.jsm.streams.info(this.stream)).state.first_seq;
      } catch (e) {
        why = (e as Error).message;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    return why;
  }

  private openReplay(
    from: ResumePoint,
    deliver: (m: Replayed) => Promise<void> | void,
    onGap: (requested: number, firstKept: number) => void,
    onError: (message: string) => void,
  ): Replay {
    let closed = false, reader: StreamReader | undefined;
    this.stats.replays_opened++;
    this.stats.replays_active++;
    const open = async () => {
      if ("seq" in from && from.seq > 0) {
        const first = await this.firstSeq(() => closed);
        if (closed) return;
        if (typeof first === "string") {
          return onError(`stream ${this.stream} did not answer: ${first}`);
        }
        if (from.seq < first) onGap(from.seq, first);
      }
      if (closed) return;
      const start = "seq" in from ? { seq: Math.max(1, from.seq) } : from;
      reader = new StreamReader(this.js, this.stream, start, this.watch, async (m: JsMsg) => {
        const rep = this.replayed(m);
        if (rep) await deliver(rep);
      }, this.countError);
      this.readers.add(reader);
    };
    open().catch(this.countError);
    return {
      close: () => {
        if (closed) return;
        closed = true;
        this.stats.replays_active--;
        if (reader) {
          this.stats.consumer_restarts += reader.restarts;
          this.readers.delete(reader);
          reader.close();
        }
      },
    };
  }

  private replayed(m: JsMsg): Replayed | undefined {
    let r: { bytes: Uint8Array; d: Decoded };
    try {
      r = fromStream(m.data, m.seq);
    } catch {
      this.stats.decode_errors++;
      return undefined;
    }
    const d = r.d;
    if (d.type === "trade" || d.type === "trades") return undefined; // not kept in the stream
    this.symbolId(d.type === "bar" ? d.bar.symbol : d.anomaly.symbol);
    return {
      kind: d.type,
      json: d.type === "bar" ? d.bar : d.anomaly,
      streamSeq: m.seq,
      bytes: r.bytes,
      pending: m.info.pending,
    };
  }

  /** Stops every reader and subscription (waits at most 2 s for readers to finish a message). */
  async close(): Promise<void> {
    this.live?.close();
    for (const r of this.readers) r.close();
    await Promise.race([
      Promise.all([this.live?.done, ...[...this.readers].map((r) => r.done)]),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    this.watch.close();
    for (const s of this.subs) s.unsubscribe();
  }
}
