/**
 * Fixed-layout float64 records, declared once: a record is a list of field
 * names (each one float64 slot, or several for an array field). The slot
 * of every field and the record's size are derived from the declaration,
 * and `readRecord` decodes any declared record, so a layout is never
 * spelled a second time by a writer or a reader.
 *
 * @example
 * ```ts
 * import { defineRecord, readRecord } from "./records.ts";
 * const Point = defineRecord(["kind", "x", "y"]);
 * const f = new Float64Array(Point.slots);
 * f[Point.slot.x] = 2;
 * f[Point.slot.y] = 3;
 * console.log(Point.bytes, readRecord(Point, f, 0)); // 24 { kind: 0, x: 2, y: 3 }
 * ```
 * @module
 */

/** A declared record layout. */
export interface RecordLayout<F extends string> {
  /** Field names in slot order. */
  readonly fields: readonly F[];
  /** Float64 slot of each field (the first slot of an array field). */
  readonly slot: Readonly<Record<F, number>>;
  /** Float64 slots per field (1 unless declared wider). */
  readonly width: Readonly<Record<F, number>>;
  /** Float64 slots of the whole record. */
  readonly slots: number;
  /** Bytes of the whole record. */
  readonly bytes: number;
}

/** A decoded record: one number per field name. */
export type RecordFields<L extends { fields: readonly string[] }> = Record<
  L["fields"][number],
  number
>;

/** Declares a layout; `widths` names fields that take more than one slot. */
export function defineRecord<const F extends string>(
  fields: readonly F[],
  widths: Partial<Record<F, number>> = {},
): RecordLayout<F> {
  const slot = {} as Record<F, number>, width = {} as Record<F, number>;
  let n = 0;
  for (const f of fields) {
    if (f in slot) throw new Error(`field ${f} declared twice`);
    slot[f] = n;
    width[f] = widths[f] ?? 1;
    n += width[f];
  }
  Object.freeze(slot);
  Object.freeze(width);
  return Object.freeze({ fields, slot, width, slots: n, bytes: n * 8 });
}

/** Decodes the single-slot fields of a record at float64 index `i` into an object. */
export function readRecord<F extends string>(
  layout: RecordLayout<F>,
  f: Float64Array,
  i: number,
): Record<F, number> {
  const out = {} as Record<F, number>;
  for (const k of layout.fields) if (layout.width[k] === 1) out[k] = f[i + layout.slot[k]];
  return out;
}
