/**
 * What a pipeline role checks before anything starts: that the bar stage
 * fits in memory, that the anomaly model loads, and the main thread's CPU
 * (--main-cpu). A failure is a StartError (exit 2) with a clear message.
 *
 * @example
 * ```ts ignore
 * checkMemory(o);
 * pinMain(o);
 * const model = await checkModel(o);
 * ```
 * @module
 */
import type { RunOptions } from "../cli/args.ts";
import { barStateBytes } from "../bars/options.ts";
import { type LoadedModel, loadModel, ModelError } from "../anomaly/model.ts";
import { native } from "../native/lib.ts";
import { StartError } from "./lifecycle.ts";

/** Most memory the bar state may take: half the machine, and never past 16 GiB. */
function barMemoryLimit(): number {
  return Math.min(16 * 2 ** 30, Deno.systemMemoryInfo().total / 2);
}

/** Refuses, before anything starts, a bar stage that cannot fit. */
export function checkMemory(o: RunOptions): void {
  const need = barStateBytes({ ...o, fill: o.fill === "prev" }), limit = barMemoryLimit();
  if (need <= limit) return;
  const gib = (b: number) => (b / 2 ** 30).toFixed(1);
  throw new StartError(
    `bar state for --max-symbols ${o.maxSymbols}, --windows ${o.windows.join(",")} and ` +
      `--lateness ${o.latenessMs}ms needs ${gib(need)} GiB, more than the ${gib(limit)} GiB ` +
      "allowed (half this machine's memory): lower --max-symbols, drop a small window or " +
      "lower --lateness",
  );
}

/** Loads the anomaly model (when on): a missing or corrupt file is a usage error, not a failure later. */
export async function checkModel(o: RunOptions): Promise<LoadedModel | undefined> {
  if (!o.model) return undefined;
  try {
    return await loadModel(o.model);
  } catch (e) {
    if (e instanceof ModelError) throw new StartError(e.message);
    throw e;
  }
}

/** Pins the main thread (--main-cpu). */
export function pinMain(o: RunOptions): void {
  const cpu = o.cpus.main;
  if (cpu !== undefined && native().symbols.tw_thread_pin(cpu) !== 0) {
    throw new StartError(`--main-cpu: cannot pin the main thread to CPU ${cpu}`);
  }
}
