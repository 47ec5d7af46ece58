/**
 * The pipeline Worker: the consumer loop runs here, never on the thread
 * that serves HTTP. It polls the receive ring, runs the TickConsumer and
 * idles by the chosen strategy; the main thread steers it through a small
 * shared control block (no per-event postMessage).
 *
 * Protocol: main posts a `WorkerStart`; the worker pins itself, warms the
 * JIT up (warmup.ts) and answers `{type:"ready"}`,
 * loops until the control word says drain (and the ring is drained) or
 * abort, then posts a `WorkerDone` and closes.
 * @module
 */
import { RingConsumer } from "../ring/ring.ts";
import type { TickConsumer } from "./consumer.ts";
import { Idler } from "./idle.ts";
import { C } from "./counters.ts";
import { Ctl, type WorkerDone, type WorkerStart } from "./protocol.ts";
import type { EventWriter } from "./events.ts";
import type { BarAggregator } from "../bars/aggregator.ts";
import { buildStages } from "./stages.ts";
import { warmUp } from "./warmup.ts";
import { native } from "../native/lib.ts";
import { ItchStage } from "../feeds/itch/stage.ts";
import { BboWriter } from "../feeds/itch/bbo_out.ts";
import { Notice } from "./events.ts";
import { UdpClient } from "../native/udp.ts";
import { BookShare } from "../feeds/itch/book_share.ts";

declare const self: Worker & { close(): void };

/**
 * Pins the thread (--worker-cpu), warms the JIT up and makes the thread
 * real-time (--rt-priority), before the feed starts. Real-time after the
 * warm-up: a real-time thread running flat out would keep V8's compiler
 * threads, ordinary ones, from the CPU it wants them to have.
 */
function prepare(msg: WorkerStart): void {
  const lib = native().symbols;
  if (msg.cpu !== undefined && lib.tw_thread_pin(msg.cpu) !== 0) {
    throw new Error(`cannot pin the pipeline Worker to CPU ${msg.cpu}`);
  }
  warmUp(msg);
  const rt = msg.rtPriority === undefined ? 0 : lib.tw_thread_rt(msg.rtPriority);
  if (rt !== 0) {
    throw new Error(
      `--rt-priority: cannot give the pipeline Worker real-time priority ${msg.rtPriority} ` +
        `(error ${-rt}${rt === -1 ? ", not permitted: needs root or CAP_SYS_NICE" : ""})`,
    );
  }
}

function run(msg: WorkerStart): WorkerDone {
  const ring = new RingConsumer(msg.ring);
  const { events, bars, consumer } = buildStages(msg);
  const now = native().symbols.tw_now_ns;
  let nextLive = performance.now() + msg.liveBarsMs;
  const ctl = msg.control;
  const idler = idlerFor(msg, ring);
  const counters = msg.counters;
  const itch = msg.itch ? itchStage(msg, consumer, events) : undefined;
  const onRecord = itch?.onRecord ?? consumer.onRecord;
  const books = itch && msg.books ? new BookShare(msg.books) : undefined;
  // Wall-clock close for quiet feeds (--idle-close).
  let lastTickWall = performance.now(), lastTickWm = -Infinity;
  // the span in which records came (per poll, not per tick): capacity without start-up and shut-down
  const busy = [0, 0];
  for (;;) {
    const n = ring.poll(onRecord, 4096);
    if (books !== undefined && books.pending()) answerBook(books, itch!);
    if (bars && msg.liveBarsMs > 0) {
      const t = performance.now();
      if (t >= nextLive) {
        nextLive = t + msg.liveBarsMs;
        if (bars.publishLive() > 0) events.flush();
      }
    }
    if (n > 0) {
      busy[1] = now();
      if (busy[0] === 0) busy[0] = busy[1];
      // events first: a row's symbol name must be visible before the row
      events.flush();
      consumer.rows?.flush();
      counters[C.tickEventDrops] = consumer.tickEventDrops;
      idler.reset();
      if (bars && msg.idleCloseMs > 0) {
        lastTickWall = performance.now();
        lastTickWm = bars.watermark;
      }
      continue;
    }
    if (bars && msg.idleCloseMs > 0 && lastTickWm > -Infinity) {
      const quiet = performance.now() - lastTickWall;
      if (quiet >= msg.idleCloseMs) {
        bars.advanceTo(lastTickWm + quiet);
        events.flush();
      }
    }
    const cmd = Atomics.load(ctl, Ctl.command);
    if (cmd === Ctl.abort) break;
    if (cmd === Ctl.drain && ring.drained()) break;
    if (itch !== undefined && itch.filling) {
      fillNap(itch, events);
      continue;
    }
    idler.idle();
    counters[C.naps] = idler.naps;
  }
  counters[C.naps] = idler.naps;
  // End of input: every open bar becomes final; nothing received is lost.
  itch?.finish();
  consumer.finish();
  if (bars) {
    bars.flush();
    counters[C.bars] = bars.finalBars;
    counters[C.late] = bars.late;
  }
  events.close();
  consumer.rows?.close();
  return { ...report(consumer, events, busy, bars), itch: itch?.summary() };
}

/** A book snapshot the main thread asked for (REST, the `book` channel). */
function answerBook(books: BookShare, itch: ItchStage): void {
  const [lo, hi] = books.symbol();
  books.answer(itch.bookOf(lo, hi), itch.ticks.stale);
}

/**
 * A MoldUDP64 gap is open: responses come on the re-request socket, which
 * does not wake a parked Worker, so look, then nap briefly (0.2 ms).
 */
function fillNap(itch: ItchStage, events: EventWriter): void {
  itch.poll();
  events.flush();
  native().symbols.tw_idle(200_000);
}

/** --protocol itch: MoldUDP64/ITCH in front of the tick consumer. */
function itchStage(msg: WorkerStart, consumer: TickConsumer, events: EventWriter): ItchStage {
  const o = msg.itch!;
  if (o.fill !== undefined && o.rerequest !== undefined) {
    o.fill.channel = UdpClient.open(o.rerequest);
  }
  const stage = new ItchStage(o, consumer.onRecord, {
    gap: (first, last) => events.gap(0, first, last),
    broken: (match) => events.notice(Notice.broken, 0, match, match),
  });
  if (o.bboOut !== undefined) stage.ticks.bbo = BboWriter.open(o.bboOut);
  return stage;
}

/**
 * How the Worker idles: with `sleep` it parks in the kernel until the feed
 * thread publishes (woken, never a timed nap), or, once the feed has
 * finished, until the main thread's command.
 */
function idlerFor(msg: WorkerStart, ring: RingConsumer): Idler {
  const ctl = msg.control, lib = native().symbols;
  const bytes = new Uint8Array(msg.ring), len = BigInt(msg.ring.byteLength);
  return new Idler(msg.idle, {
    spins: msg.spins,
    sleepUs: msg.sleepUs,
    word: ctl,
    index: Ctl.wake,
    park: (ns) => {
      if (ring.drained()) Atomics.wait(ctl, Ctl.wake, Atomics.load(ctl, Ctl.wake), ns / 1e6);
      else lib.tw_ring_park(bytes, len, BigInt(ns));
    },
    parkMs: msg.liveBarsMs > 0 ? Math.min(50, msg.liveBarsMs) : 50,
  });
}

/** The final report to the main thread. */
function report(
  consumer: TickConsumer,
  events: EventWriter,
  busy: number[],
  bars?: BarAggregator,
): WorkerDone {
  const n = consumer.symbols.size;
  return {
    type: "done",
    gapEvents: consumer.gapEvents,
    symbols: consumer.symbols.names,
    tradesBySymbol: Array.from(consumer.tradesBySymbol.subarray(0, n)),
    labels: Array.from(consumer.labels),
    lateBySymbol: bars ? Array.from(bars.lateBySymbol.subarray(0, n)) : [],
    barUpdates: bars?.updates ?? 0,
    eventWaits: events.waits,
    barStateBytes: bars?.stateBytes ?? 0,
    rowsWritten: consumer.rows?.written ?? 0,
    rowsDropped: consumer.rows?.dropped ?? 0,
    rejectedReportDrops: events.rejectedDrops,
    fillSkipped: bars?.fillSkipped ?? 0,
    busyFromNs: busy[0],
    busyToNs: busy[1],
  };
}

self.onmessage = (e: MessageEvent<WorkerStart>) => {
  if (e.data?.type !== "start") return;
  let done: WorkerDone;
  try {
    prepare(e.data);
    self.postMessage({ type: "ready" }); // the feed starts now
    done = run(e.data);
  } catch (err) {
    self.postMessage({
      type: "error",
      message: String((err as Error)?.stack ?? err),
    });
    self.close();
    return;
  }
  self.postMessage(done);
  self.close();
};
