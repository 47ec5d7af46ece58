/**
 * One start / abort / teardown path for every role. While a role starts,
 * each piece that came up registers how to undo itself; if a later piece
 * fails, `abort` undoes them all, newest first, and the failure surfaces as
 * a `StartError` (exit 2) with one clear message. A running role waits in
 * `waitForStop` for its reason to stop: a signal, `--duration`, or what the
 * role itself checks (end of feed, a failed feed, a closed NATS link).
 *
 * @example
 * ```ts
 * import { Lifecycle } from "./lifecycle.ts";
 * const life = new Lifecycle();
 * life.onAbort(() => console.log("undone"));
 * await life.abort(); // undone
 * ```
 * @module
 */

/** A role cannot start with the given settings (exit 2). */
export class StartError extends Error {
  override name = "StartError";
}

/** Undo steps of a starting role. */
export class Lifecycle {
  private readonly undo: (() => unknown)[] = [];

  /** Registers how to undo a piece that started. */
  onAbort(fn: () => unknown): void {
    this.undo.push(fn);
  }

  /** Undoes every started piece, newest first; never throws. */
  async abort(): Promise<void> {
    while (this.undo.length > 0) {
      try {
        await this.undo.pop()!();
      } catch { /* already gone */ }
    }
  }

  /** Runs `start`; on failure undoes what started and rethrows (mapped by `why`). */
  async start<T>(start: () => Promise<T> | T, why?: (e: unknown) => Error | undefined): Promise<T> {
    try {
      return await start();
    } catch (e) {
      await this.abort();
      throw why?.(e) ?? e;
    }
  }
}

/** Why a role stopped. */
export type StopReason = "eof" | "signal" | "duration" | "error";

/** One main-loop pass: a reason to stop, or undefined to go on. */
export interface Loop {
  /** checked first on each pass */
  check(): { reason: StopReason; error?: string } | undefined;
  /** the pass's work (read events, status line) */
  pass(): void;
  /** waits until there is work for the next pass, or a while (a timeout) */
  wait(): Promise<unknown>;
}

/** Runs passes until a signal, `durationS` (0 = none) or the loop's own check. */
export async function waitForStop(
  loop: Loop,
  signal: AbortSignal | undefined,
  durationS: number,
): Promise<{ reason: StopReason; error?: string }> {
  const t0 = performance.now();
  for (;;) {
    if (signal?.aborted) return { reason: "signal" };
    const stop = loop.check();
    if (stop) return stop;
    if (durationS > 0 && performance.now() - t0 >= durationS * 1000) return { reason: "duration" };
    loop.pass();
    await loop.wait();
  }
}
