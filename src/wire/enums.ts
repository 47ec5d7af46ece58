/**
 * The schemas' enums and their wire names, taken from the generated
 * FlatBuffers code (one home: `schemas/*.fbs`). Names are the enum member
 * in snake case (`PriceSpike` -> `price_spike`), as they appear in JSON.
 *
 * Note that the two schemas number their kinds differently: `Label`
 * (ground truth injected by the synthetic feed) has Stale = 4 and
 * CrossedQuote = 5, `AnomalyKind` (what a detector reports) has
 * CrossedQuote = 4 and Stale = 5. Always go through the names.
 *
 * @example
 * ```ts
 * import { ANOMALY_KIND_NAMES, AnomalyKind, LABEL_NAMES, Label } from "./enums.ts";
 * console.log(ANOMALY_KIND_NAMES[AnomalyKind.Stale], LABEL_NAMES[Label.Stale]); // stale stale
 * ```
 * @module
 */
import { Label, Side, TickKind } from "./generated/tickwire_generated.ts";
import { AnomalyKind } from "./generated/outbound_generated.ts";

export { AnomalyKind, Label, Side, TickKind };

/** `PriceSpike` -> `price_spike`. */
function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** Wire names of a numeric TypeScript enum, indexed by value. */
function names(e: Record<string, string | number>): readonly string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(e)) if (typeof v === "number") out[v] = snake(k);
  return Object.freeze(out);
}

/** `AnomalyKind` value -> name (`price_spike`, ..., `gap`). */
export const ANOMALY_KIND_NAMES = names(AnomalyKind);
/** `Label` value -> name (`none`, `price_spike`, ...). */
export const LABEL_NAMES = names(Label);
/** `Side` value -> name (`unknown`, `buy`, `sell`). */
export const SIDE_NAMES = names(Side) as readonly ("unknown" | "buy" | "sell")[];
/** `TickKind` value -> name (`unknown`, `trade`, `quote`). */
export const TICK_KIND_NAMES = names(TickKind);

/** Name of an anomaly kind; `unexplained` for a value the schema does not know. */
export function anomalyKindName(kind: number): string {
  return ANOMALY_KIND_NAMES[kind] ?? "unexplained";
}

/** Value of an anomaly kind name; `Unexplained` for an unknown name. */
export function anomalyKindOf(name: string): AnomalyKind {
  return Math.max(0, ANOMALY_KIND_NAMES.indexOf(name)) as AnomalyKind;
}

/** Name of a side; `unknown` for anything but Buy and Sell. */
export function sideName(side: number): "unknown" | "buy" | "sell" {
  return SIDE_NAMES[side] ?? "unknown";
}
