/**
 * The live one-line status on stderr: rate, totals, ring fill, drops.
 *
 * @example
 * ```ts
 * import { formatStatus } from "./status.ts";
 * console.log(formatStatus({ feed: "synth", rate: 1.5e5, ticks: 2e6, fill: 0.01, drops: 0, gaps: 0, malformed: 0 }));
 * ```
 * @module
 */

/** Inputs of one status line. */
export interface StatusInput {
  feed: string;
  rate: number;
  ticks: number;
  fill: number;
  drops: number;
  gaps: number;
  malformed: number;
}

function si(x: number): string {
  if (x >= 1e9) return (x / 1e9).toFixed(2) + "G";
  if (x >= 1e6) return (x / 1e6).toFixed(2) + "M";
  if (x >= 1e3) return (x / 1e3).toFixed(1) + "k";
  return x.toFixed(0);
}

/** One status line (no newline). */
export function formatStatus(s: StatusInput): string {
  return `tickwire ${s.feed} | ${si(s.rate)} ticks/s | ticks ${si(s.ticks)} | ring ${
    (s.fill * 100).toFixed(1)
  }% | drops ${si(s.drops)} | gaps ${s.gaps} | malformed ${s.malformed}`;
}
