/**
 * Reads the JetStream stream in order from a point, for ever, surviving the
 * loss of the node that hosts its consumer. It runs an ordered consumer
 * (ephemeral, one replica) and remembers the next sequence it needs; when
 * nothing arrives while the stream has moved past that sequence (the
 * consumer died with its node, or the library's own recovery stalled), it
 * starts a new consumer at exactly that sequence. Sequences below it are
 * skipped, so the reader never delivers a message twice or skips one.
 *
 * @example
 * ```ts ignore
 * const watch = new StreamWatch(jsm, "TICKWIRE");
 * const r = new StreamReader(js, "TICKWIRE", { seq: 1 }, watch, (m) => console.log(m.seq));
 * r.close();
 * ```
 * @module
 */
import type {
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from "@nats-io/jetstream";

/** Polls the stream's last sequence once a second for every reader of a process. */
export class StreamWatch {
  /** last sequence stored in the stream (0 until known) */
  lastSeq = 0;
  /** first sequence the stream still keeps */
  firstSeq = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private busy = false;

  constructor(private readonly jsm: JetStreamManager, private readonly stream: string) {
    this.timer = setInterval(() => this.poll(), 1000);
    this.poll();
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const s = (await this.jsm.streams.info(this.stream)).state;
      this.lastSeq = s.last_seq;
      this.firstSeq = s.first_seq;
    } catch { /* a node is down or the leader is moving: next time */ }
    this.busy = false;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** How long a reader may be silent while the stream is ahead before it restarts. */
const STALL_MS = 3000;

/** An ordered, gap-free, duplicate-free reader of the stream. */
export class StreamReader {
  /** next stream sequence wanted (0 = not known yet: start by time) */
  next: number;
  /** consumers started after a stall */
  restarts = 0;
  private closed = false;
  private messages?: ConsumerMessages;
  private lastMsgAt = Date.now();
  private inHandler = false;
  private readonly timer: ReturnType<typeof setInterval>;
  /** resolves when the reader is closed */
  readonly done: Promise<void>;

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    from: { seq: number } | { time: number },
    private readonly watch: StreamWatch,
    private readonly onMsg: (m: JsMsg) => Promise<void> | void,
    private readonly onError: (e: Error) => void = () => {},
  ) {
    this.next = "seq" in from ? Math.max(1, from.seq) : 0;
    const startTime = "time" in from ? new Date(from.time).toISOString() : "";
    this.timer = setInterval(() => {
      // a handler waiting on a slow client is not a stall
      const ahead = this.next > 0 && this.watch.lastSeq >= this.next && !this.inHandler;
      if (ahead && Date.now() - this.lastMsgAt > STALL_MS && this.messages) {
        this.restarts++;
        this.lastMsgAt = Date.now();
        this.messages.stop(); // the loop below opens a new consumer at `next`
      }
    }, 500);
    this.done = this.run(startTime);
  }

  private async run(startTime: string): Promise<void> {
    while (!this.closed) {
      try {
        const opts = this.next > 0 ? { opt_start_seq: this.next } : { opt_start_time: startTime };
        const consumer = await this.js.consumers.get(this.stream, opts);
        if (this.closed) break;
        this.messages = await consumer.consume();
        this.lastMsgAt = Date.now();
        for await (const m of this.messages) {
          if (this.closed) break;
          this.lastMsgAt = Date.now();
          if (this.next > 0 && m.seq < this.next) continue; // seen already
          this.next = m.seq + 1;
          this.inHandler = true;
          try {
            await this.onMsg(m);
          } finally {
            this.inHandler = false;
            this.lastMsgAt = Date.now();
          }
        }
      } catch (e) {
        if (!this.closed) this.onError(e as Error);
      }
      this.messages = undefined;
      if (!this.closed) await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Stops reading. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.messages?.stop();
  }
}
