/**
 * The live one-line status on stderr: rate, totals, ring fill, drops.
 *
 * @example
 * ```ts
 * import { formatStatus } from "./status.ts";
 * console.log(formatStatus({ feed: "synth", policy: "drop", rate: 1.5e5, ticks: 2e6, fill: 0.01, drops: 0, gaps: 0, malformed: 0 }));
 * ```
 * @module
 */

/** Inputs of one status line. */
export interface StatusInput {
  feed: string;
  /** full-ring policy: drop or block */
  policy: string;
  rate: number;
  ticks: number;
  fill: number;
  drops: number;
  gaps: number;
  malformed: number;
  /** share of a finite feed read so far (0..1), when known */
  position?: number;
}

function si(x: number): string {
  if (x >= 1e9) return (x / 1e9).toFixed(2) + "G";
  if (x >= 1e6) return (x / 1e6).toFixed(2) + "M";
  if (x >= 1e3) return (x / 1e3).toFixed(1) + "k";
  return x.toFixed(0);
}

function clock(s: number): string {
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  const mm = String(m).padStart(2, "0"), ss = String(sec).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${m}:${ss}`;
}

/** `| 42.0% ETA 1:05`: the position of a finite feed and the time left at the pace so far. */
function progress(position: number | undefined, elapsedS: number): string {
  if (position === undefined) return "";
  const p = Math.min(1, Math.max(0, position));
  const eta = p > 0.001 ? clock((elapsedS * (1 - p)) / p) : "–";
  return ` | ${(p * 100).toFixed(1)}% ETA ${eta}`;
}

/** One status line (no newline); `elapsedS` since the feed started, for the ETA. */
export function formatStatus(s: StatusInput, elapsedS = 0): string {
  return `tickwire ${s.feed} (${s.policy}) | ${si(s.rate)} ticks/s | ticks ${si(s.ticks)} | ring ${
    (s.fill * 100).toFixed(1)
  }% | drops ${si(s.drops)} | gaps ${s.gaps} | malformed ${s.malformed}${
    progress(s.position, elapsedS)
  }`;
}

/** The status line on stderr: rewritten in place on a terminal, one line each otherwise. */
export class StatusLine {
  private lastTicks = 0;
  private lastT = performance.now();
  private lastShown = performance.now();
  private readonly t0 = performance.now();
  private readonly tty = Deno.stderr.isTerminal();
  private readonly enc = new TextEncoder();

  /** `periodS` 0 = never shown. */
  constructor(private readonly periodS: number) {}

  /** Shows the line when its period has passed (or always when `final`). */
  show(read: () => Omit<StatusInput, "rate">, final = false): void {
    if (this.periodS <= 0) return;
    const now = performance.now();
    if (!final && now - this.lastShown < this.periodS * 1000) return;
    this.lastShown = now;
    const s = read();
    const rate = (s.ticks - this.lastTicks) / Math.max(1e-3, (now - this.lastT) / 1000);
    this.lastTicks = s.ticks;
    this.lastT = now;
    const line = formatStatus({ ...s, rate }, (now - this.t0) / 1000);
    const text = this.tty ? `\r${line}\x1b[K${final ? "\n" : ""}` : `${line}\n`;
    Deno.stderr.writeSync(this.enc.encode(text));
  }
}
