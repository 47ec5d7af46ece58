/**
 * What the summary needs from the event stream: anomalies counted by
 * kind, and the first late ticks, notices and rejected ticks (bounded).
 *
 * @example
 * ```ts
 * import { RunRecord } from "./record.ts";
 * const r = new RunRecord();
 * r.anomaly({ symbol: "A", time: "2026-01-01T00:00:00Z", seq: 1, score: 9, kind: "fat_finger" });
 * console.log(r.anomalies, r.anomaliesByKind); // 1 { fat_finger: 1 }
 * ```
 * @module
 */
import type { EventSink } from "./sink.ts";
import type { AnomalyJson, LateJson, NoticeJson, RejectedJson } from "../server/messages.ts";

/** Late ticks, notices and rejected ticks kept for the summary (each). */
const MAX_KEPT = 100;

/** Summary bookkeeping. */
export class RunRecord implements EventSink {
  readonly anomaliesByKind: Record<string, number> = {};
  readonly lateEvents: LateJson[] = [];
  readonly notices: NoticeJson[] = [];
  readonly rejectedEvents: RejectedJson[] = [];
  anomalies = 0;

  anomaly(j: AnomalyJson): void {
    this.anomalies++;
    this.anomaliesByKind[j.kind] = (this.anomaliesByKind[j.kind] ?? 0) + 1;
  }
  late(j: LateJson): void {
    if (this.lateEvents.length < MAX_KEPT) this.lateEvents.push(j);
  }
  notice(j: NoticeJson): void {
    if (this.notices.length < MAX_KEPT) this.notices.push(j);
  }
  rejected(j: RejectedJson): void {
    if (this.rejectedEvents.length < MAX_KEPT) this.rejectedEvents.push(j);
  }
}
