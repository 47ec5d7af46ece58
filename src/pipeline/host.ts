/**
 * The pipeline seen from the main thread: allocates the shared memory
 * (receive ring, event ring, rows ring for the model, counters, latency
 * histogram, latest ticks, control block), starts the pipeline Worker and
 * stops it: `drain` once the feed has stopped (every record in the ring is
 * consumed), `abort` when a start failed.
 *
 * @example
 * ```ts ignore
 * const host = await PipelineHost.start(settings);
 * host.events.poll(handlers);      // bars, trades, ... as they come
 * const done = await host.drain(() => host.events.poll(handlers));
 * ```
 * @module
 */
import { createRing, RingConsumer } from "../ring/ring.ts";
import { createCounters } from "./counters.ts";
import { createControl, Ctl, type WorkerDone, type WorkerStart } from "./protocol.ts";
import { type BookJson, BookShare } from "../feeds/itch/book_share.ts";
import { Idler } from "./idle.ts";
import { EventReader } from "./event_reader.ts";
import { HIST_SLOTS, Histogram } from "./latency.ts";
import { createInterest, createLatest } from "./shared.ts";
import { native } from "../native/lib.ts";
import { setImmediate } from "node:timers";

/** What the host needs beyond the Worker's own settings. */
export interface HostSettings {
  ringSize: number;
  maxRecord: number;
  /** allocate the rows ring for the model stage */
  model: boolean;
  /** the Worker's settings (rings and shared arrays are filled in here) */
  worker: Omit<
    WorkerStart,
    | "type"
    | "ring"
    | "counters"
    | "control"
    | "events"
    | "latency"
    | "wire"
    | "latest"
    | "interest"
    | "rows"
    | "books"
  >;
}

/** Resolves after one turn of the event loop (I/O included), in microseconds, not a timer's ms. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The pipeline Worker stopped with an error (the message says why, without its stack). */
export class WorkerFailed extends Error {
  override name = "WorkerFailed";
}

/** The running pipeline Worker and its shared memory. */
export class PipelineHost {
  readonly ring: SharedArrayBuffer;
  readonly eventRing = createRing(4 << 20, 4096);
  readonly rowsRing?: SharedArrayBuffer;
  /** --protocol itch: book snapshots from the Worker */
  private readonly books?: BookShare;
  readonly events: EventReader;
  readonly counters = createCounters();
  private readonly latencySlots = new Float64Array(new SharedArrayBuffer(HIST_SLOTS * 8));
  /** receive-to-bar latency, written by the Worker */
  readonly latency = new Histogram(this.latencySlots);
  private readonly wireSlots = new Float64Array(new SharedArrayBuffer(HIST_SLOTS * 8));
  /** event-time-to-bar latency (--wire-latency), written by the Worker */
  readonly wire = new Histogram(this.wireSlots);
  readonly latest: Float64Array<SharedArrayBuffer>;
  /** per symbol id: the per-tick events subscribers want (SymbolInterest writes it) */
  readonly interest: Uint8Array<SharedArrayBuffer>;
  readonly control = createControl();
  private readonly worker: Worker;
  private readonly done: Promise<WorkerDone>;
  /** set when the Worker failed (the run stops with this message) */
  failure?: string;

  private constructor(s: HostSettings) {
    this.ring = createRing(s.ringSize, s.maxRecord);
    this.rowsRing = s.model ? createRing(16 << 20, 4096) : undefined;
    this.books = s.worker.itch ? new BookShare(BookShare.create()) : undefined;
    this.events = new EventReader(new RingConsumer(this.eventRing));
    this.latest = createLatest(s.worker.maxSymbols);
    this.interest = createInterest(s.worker.maxSymbols);
    this.worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    this.done = new Promise<WorkerDone>((resolve, reject) => {
      const fail = (why: string) => {
        // the first line says what; the Worker's stack stays out of the user's way
        const err = new WorkerFailed(`pipeline worker failed: ${why.split("\n")[0]}`);
        this.failure = err.message;
        reject(err);
      };
      this.worker.onmessage = (e) => {
        if (e.data?.type === "done") resolve(e.data as WorkerDone);
        else if (e.data?.type === "error") fail(String(e.data.message));
      };
      this.worker.onerror = (e) => {
        e.preventDefault();
        fail(e.message);
      };
    });
    // a failure is reported through `failure` and the run loop, not as an unhandled rejection
    this.done.catch(() => {});
  }

  /** Starts the Worker and waits until it runs. */
  static async start(s: HostSettings): Promise<PipelineHost> {
    const h = new PipelineHost(s);
    const ready = new Promise<void>((resolve) => {
      const prev = h.worker.onmessage;
      h.worker.onmessage = (e) => {
        // an error before "ready" (pinning, warm-up) is reported through `failure`
        if (e.data?.type === "ready" || e.data?.type === "error") resolve();
        prev?.call(h.worker, e);
      };
    });
    const start: WorkerStart = {
      ...s.worker,
      type: "start",
      ring: h.ring,
      counters: h.counters,
      control: h.control,
      events: h.eventRing,
      latency: h.latencySlots,
      wire: h.wireSlots,
      latest: h.latest,
      interest: h.interest,
      rows: h.rowsRing,
      books: h.books?.sab,
    };
    h.worker.postMessage(start);
    await ready;
    return h;
  }

  /** The event counter now: read it before polling, then `waitEvents` from it. */
  eventStamp(): number {
    return Atomics.load(this.control, Ctl.events);
  }

  /**
   * Resolves as soon as the Worker publishes events after `stamp` was read
   * (no fixed-period timer on the way to subscribers), or after `timeoutMs`.
   * When they are already there it still yields one event-loop turn: a
   * resolved promise would resume in a microtask, and under a continuous
   * feed socket writes and requests would never run until the feed paused.
   */
  waitEvents(stamp: number, timeoutMs: number): Promise<unknown> {
    const w = Atomics.waitAsync(this.control, Ctl.events, stamp, timeoutMs);
    return w.async ? w.value : nextTurn();
  }

  /** Sets the word that tells the Worker which per-tick events are wanted (TickWant bits). */
  setWant(bits: number): void {
    Atomics.store(this.control, Ctl.want, bits);
  }

  /**
   * After the feed stopped: lets the Worker drain every record, calling
   * `poll` while it does (it waits when the event ring is full), and
   * returns its final report once the event ring is read to the end too.
   */
  async drain(poll: () => void): Promise<WorkerDone> {
    this.command(Ctl.drain);
    let finished = false;
    const end = this.done.then(() => (finished = true), () => (finished = true));
    while (!finished) {
      const stamp = this.eventStamp(); // before reading: a publish after this wakes the wait
      poll();
      await Promise.race([end, this.waitEvents(stamp, 50)]);
    }
    const result = await this.done;
    while (!this.events.drained()) poll();
    this.worker.terminate();
    return result;
  }

  /** Stops the Worker at once (a start failed); never throws. */
  async abort(): Promise<void> {
    this.command(Ctl.abort);
    await this.done.catch(() => {});
    this.worker.terminate();
  }

  /**
   * The top `depth` levels of a stock's book (--protocol itch): undefined
   * when it has none (or the feed is not ITCH), null when the Worker did not
   * answer in time (it has stopped).
   */
  book(symbol: string, depth: number): Promise<BookJson | undefined | null> {
    if (this.books === undefined) return Promise.resolve(undefined);
    return this.books.ask(symbol, depth, () => this.wakeWorker());
  }

  private command(cmd: number): void {
    Atomics.store(this.control, Ctl.command, cmd);
    this.wakeWorker();
  }

  private wakeWorker(): void {
    Idler.wake(this.control, Ctl.wake);
    // a Worker parked on the receive ring (tw_ring_park) is woken through it
    native().symbols.tw_ring_wake(new Uint8Array(this.ring), BigInt(this.ring.byteLength));
  }
}
