/**
 * Prometheus text exposition of the stats object, series named `tickwire_*`.
 *
 * @example
 * ```ts
 * import { prometheus } from "./metrics.ts";
 * console.log(prometheus({ pipeline: { ticks: 3 } }).includes("tickwire_ticks_total 3")); // true
 * ```
 * @module
 */

const GAUGES = new Set([
  "symbols",
  "clients",
  "ring_fill",
  "feed_state",
  "uptime_s",
  "ticks_per_s",
  "gateway_replays_active",
  "gateway_last_stream_seq",
]);

/** Renders nested numeric stats; counters get `_total`, latency becomes a summary. */
export function prometheus(stats: Record<string, unknown>): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  const emit = (name: string, value: number, labels = "") => {
    const type = GAUGES.has(name.replace(/^tickwire_/, "")) ? "gauge" : "counter";
    const full = type === "counter" && !name.endsWith("_total") ? `${name}_total` : name;
    if (!seen.has(full)) {
      seen.add(full);
      lines.push(`# TYPE ${full} ${type}`);
    }
    lines.push(`${full}${labels} ${value}`);
  };
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      const key = `${prefix}${k}`.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase().replace(
        /[^a-z0-9_]/g,
        "_",
      );
      if (k === "latency_ns" && v && typeof v === "object") {
        const l = v as Record<string, number>;
        lines.push("# TYPE tickwire_latency_ns summary");
        for (const [q, p] of [["0.5", "p50"], ["0.9", "p90"], ["0.99", "p99"], ["0.999", "p999"]]) {
          lines.push(`tickwire_latency_ns{quantile="${q}"} ${l[p] ?? 0}`);
        }
        lines.push(`tickwire_latency_ns_count ${l.count ?? 0}`);
        continue;
      }
      if (typeof v === "number" && Number.isFinite(v)) emit(`tickwire_${key}`, v);
      else if (v && typeof v === "object" && !Array.isArray(v)) {
        walk(
          v as Record<string, unknown>,
          prefix === "" && ["pipeline"].includes(k) ? "" : `${key}_`,
        );
      }
    }
  };
  walk(stats, "");
  return lines.join("\n") + "\n";
}
