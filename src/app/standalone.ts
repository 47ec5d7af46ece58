/**
 * The standalone role (the default): one process receives, aggregates,
 * flags and serves.
 *
 * @example
 * ```ts ignore
 * const summary = await runStandalone(parseRunArgs(["--count", "1000", "--quiet"]), signal);
 * ```
 * @module
 */
import type { RunOptions } from "../cli/args.ts";
import { runPipeline, STANDALONE } from "./pipeline.ts";
import type { Summary } from "./summary.ts";

/** Runs the standalone role; returns the summary. */
export function runStandalone(o: RunOptions, signal?: AbortSignal): Promise<Summary> {
  return runPipeline(o, signal, STANDALONE);
}
