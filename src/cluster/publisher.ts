/**
 * The processor side of a cluster: publishes what the pipeline produces to
 * NATS as FlatBuffers messages. Final bars and anomalies go to JetStream
 * (acknowledged, retried until stored; each carries a message id so a
 * retry after a failover, or a restarted processor replaying the same feed
 * within the stream's duplicate window, is stored once). Trades and
 * in-progress bars go to core NATS (fire and forget: subscribers that miss
 * one get the next; the bars they add up to are durable).
 *
 * @example
 * ```ts ignore
 * const pub = await ClusterPublisher.start({ servers: ["nats://127.0.0.1:4222"], stream: {...} });
 * pub.bar(bar);            // final -> JetStream, in progress -> core NATS
 * await pub.flush(30_000); // before exit: wait until every final bar is stored
 * ```
 * @module
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { connectNats, ensureStream, type StreamSettings } from "./nats.ts";
import { anomalySubject, barSubject, partialSubject, tradeSubject } from "./subjects.ts";
import {
  encodeAnomalyMessage,
  encodeBarMessage,
  encodeTradeBatchMessage,
  encodeTradeMessage,
  TRADE_FIELDS,
} from "../server/outbound.ts";
import type { AnomalyJson, BarJson } from "../server/messages.ts";

/** Publisher settings. */
export interface PublisherOptions {
  servers: string[];
  stream: StreamSettings;
  /** client name shown by the server, e.g. "tickwire-shard-0/2" */
  name: string;
  quiet?: boolean;
  /** acknowledgements awaited at once (256) */
  window?: number;
}

/** Counters reported in the summary and /v1/stats. */
export interface PublisherStats {
  durable_published: number;
  durable_acked: number;
  durable_duplicates: number;
  durable_retries: number;
  durable_pending: number;
  /** messages refused because the outbox was full (the stream was unreachable too long) */
  durable_dropped: number;
  core_published: number;
  /** trades in those messages (several per message when batched) */
  trades_published: number;
  /** core messages the client could not buffer while disconnected */
  core_dropped: number;
}

interface Pending {
  subject: string;
  data: Uint8Array;
  id: string;
}

/** Most durable messages held while NATS is unreachable (~100 MB of bars). */
const MAX_OUTBOX = 1_000_000;

/** Publishes pipeline output to NATS. */
export class ClusterPublisher {
  readonly stats: PublisherStats = {
    durable_published: 0,
    durable_acked: 0,
    durable_duplicates: 0,
    durable_retries: 0,
    durable_pending: 0,
    durable_dropped: 0,
    core_published: 0,
    trades_published: 0,
    core_dropped: 0,
  };
  private readonly outbox: Pending[] = [];
  private head = 0;
  private inFlight = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private backoff = 50;
  private idle: (() => void)[] = [];
  private readonly window: number;
  /** trade subject per symbol (escaping once, not per trade) */
  private readonly tradeSubjects = new Map<string, string>();
  /** trades in hand per symbol, TRADE_FIELDS numbers each, sent as one batch */
  private readonly pendingTrades = new Map<string, number[]>();
  private tradesQueued = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly quiet: boolean,
    window: number,
  ) {
    this.window = window;
  }

  /** Connects and sets up the stream; throws ClusterError when it cannot. */
  static async start(o: PublisherOptions): Promise<ClusterPublisher> {
    const nc = await connectNats(
      o.servers,
      o.name,
      o.quiet,
      o.stream.timeoutMs,
      o.stream.signal,
    );
    try {
      await ensureStream(nc, o.stream);
    } catch (e) {
      await nc.close();
      throw e;
    }
    return new ClusterPublisher(
      nc,
      jetstream(nc, { timeout: 5000 }),
      o.quiet ?? false,
      o.window ?? 256,
    );
  }

  /** A bar: final (or a revision) to the stream, in progress to core NATS. */
  bar(b: BarJson): void {
    if (b.final) {
      this.durable(
        barSubject(b.window, b.symbol),
        encodeBarMessage(b),
        `b|${b.symbol}|${b.window}|${b.start}|${b.revision}`,
      );
    } else this.core(partialSubject(b.window, b.symbol), encodeBarMessage(b));
  }

  /** An anomaly, to the stream. */
  anomaly(a: AnomalyJson): void {
    this.durable(
      anomalySubject(a.symbol),
      encodeAnomalyMessage(a),
      `a|${a.symbol}|${a.seq}|${a.kind}|${a.time}`,
    );
  }

  /**
   * A trade, to core NATS. Trades handed over in one go (one poll of the
   * event ring) leave as one message per symbol, after the current task:
   * a `TradeBatch` when there are several, else a `Trade`.
   */
  trade(
    symbol: string,
    sec: number,
    nsec: number,
    price: number,
    size: number,
    side: number,
    seq: number,
  ): void {
    let list = this.pendingTrades.get(symbol);
    if (list === undefined) this.pendingTrades.set(symbol, list = []);
    list.push(sec, nsec, price, size, side, seq);
    if (!this.tradesQueued) {
      this.tradesQueued = true;
      queueMicrotask(() => this.sendTrades());
    }
  }

  /** Sends the trades in hand. */
  private sendTrades(): void {
    this.tradesQueued = false;
    for (const [symbol, f] of this.pendingTrades) {
      const n = f.length / TRADE_FIELDS;
      if (n === 0) continue;
      let subject = this.tradeSubjects.get(symbol);
      if (subject === undefined) this.tradeSubjects.set(symbol, subject = tradeSubject(symbol));
      this.core(
        subject,
        n === 1
          ? encodeTradeMessage(symbol, f[0], f[1], f[2], f[3], f[4], f[5])
          : encodeTradeBatchMessage(symbol, f, n),
      );
      this.stats.trades_published += n;
      f.length = 0;
    }
  }

  private core(subject: string, data: Uint8Array): void {
    try {
      this.nc.publish(subject, data);
      this.stats.core_published++;
    } catch {
      this.stats.core_dropped++; // reconnect buffer full or connection closed
    }
  }

  private durable(subject: string, data: Uint8Array, id: string): void {
    if (this.outbox.length - this.head >= MAX_OUTBOX) {
      if (this.stats.durable_dropped++ === 0 && !this.quiet) {
        console.error(
          `tickwire: NATS outbox full (${MAX_OUTBOX} messages): dropping, counted as durable_dropped`,
        );
      }
      return;
    }
    this.outbox.push({ subject, data, id });
    this.stats.durable_published++;
    this.pump();
  }

  /** Sends queued messages while fewer than `window` acks are outstanding. */
  private pump(): void {
    if (this.retryTimer !== undefined) return;
    while (this.inFlight < this.window && this.head < this.outbox.length) {
      const m = this.outbox[this.head];
      this.outbox[this.head++] = undefined as unknown as Pending;
      this.send(m);
    }
    if (this.head > 4096 && this.head * 2 > this.outbox.length) {
      this.outbox.splice(0, this.head);
      this.head = 0;
    }
    this.stats.durable_pending = this.outbox.length - this.head + this.inFlight;
    if (this.stats.durable_pending === 0) {
      for (const f of this.idle.splice(0)) f();
    }
  }

  private send(m: Pending): void {
    this.inFlight++;
    this.js.publish(m.subject, m.data, { msgID: m.id, timeout: 5000 }).then(
      (ack) => {
        this.inFlight--;
        this.stats.durable_acked++;
        if (ack.duplicate) this.stats.durable_duplicates++;
        this.backoff = 50;
        this.pump();
      },
      () => {
        // Not stored (node down, leader election, timeout): put it back in
        // front and retry after a pause; the message id makes a retry of a
        // message that was in fact stored a no-op.
        this.inFlight--;
        this.stats.durable_retries++;
        this.outbox.splice(this.head, 0, m);
        if (this.retryTimer === undefined) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.pump();
          }, this.backoff);
          this.backoff = Math.min(2000, this.backoff * 2);
        }
      },
    );
  }

  /** Resolves when every durable message is stored, or after `timeoutMs`; returns how many are not. */
  async flush(timeoutMs: number): Promise<number> {
    this.sendTrades();
    this.pump();
    if (this.stats.durable_pending > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idle.push(r)),
        new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    try {
      await this.nc.flush(); // core messages out of the client's buffer too
    } catch { /* closed */ }
    return this.stats.durable_pending;
  }

  /** Closes the connection (call flush first). */
  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    await this.nc.drain().catch(() => this.nc.close());
  }
}
