/**
 * Command lines from one option table: each option is declared once (its
 * name, argument, help text, section and where it applies) and the table
 * produces the tokenizer (`node:util` parseArgs, standing in for @std/cli,
 * which JSR cannot deliver here), the --help text and the checks of where
 * an option applies. The value parsers here give every option the same
 * error messages; a bad command line is a `UsageError` (exit 2).
 *
 * @example
 * ```ts
 * import { helpText, tokenize, type OptionTable } from "./table.ts";
 * const T: OptionTable = { count: { arg: "N", section: "Run", help: "how many" } };
 * console.log(tokenize(["--count", "3"], T).count); // 3
 * console.log(helpText(T, "usage", "").includes("--count N")); // true
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { parseDuration } from "../time.ts";

/** Bad command line; exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** One option. */
export interface OptionSpec {
  /** the value's placeholder in --help; absent for a flag */
  arg?: string;
  short?: string;
  /** --help section */
  section: string;
  /** --help text (lines after the first are indented under it) */
  help: string;
  /** the `--help` line shows this instead of `--name ARG` */
  label?: string;
  /** may be given several times (the value is then a list) */
  multiple?: true;
}

/** Options by name (without the dashes). */
export type OptionTable = Record<string, OptionSpec>;

/** Raw values as given: strings for valued options (lists when multiple), true for flags. */
export type RawValues = Record<string, string | string[] | boolean | undefined>;

/**
 * Joins `--opt value` into `--opt=value` for options that take a value, so
 * values that start with a dash (EAL arguments: `--eal "--no-huge ..."`)
 * are taken as values; node:util parseArgs refuses them otherwise.
 */
export function joinOptionValues(
  argv: string[],
  valued: ReadonlySet<string>,
  known: ReadonlySet<string> = valued,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const takes = a.startsWith("--") && !a.includes("=") && valued.has(a.slice(2));
    if (!takes || i + 1 >= argv.length) {
      out.push(a);
      continue;
    }
    // a value never swallows the next option: `--bars-out --quiet` is a missing value
    if (isOption(argv[i + 1], known)) {
      throw new UsageError(`${a} needs a value, got the option ${argv[i + 1].split("=")[0]}`);
    }
    out.push(`${a}=${argv[++i]}`);
  }
  return out;
}

/** True when `a` names an option of the table (`--name` or `--name=...`). */
function isOption(a: string, known: ReadonlySet<string>): boolean {
  return a.startsWith("--") && known.has(a.slice(2).split("=")[0]);
}

/** Names of the options that take a value. */
export function valuedOptions(t: OptionTable): Set<string> {
  return new Set(Object.entries(t).filter(([, s]) => s.arg !== undefined).map(([k]) => k));
}

/** Splits argv by the table; unknown options and missing values are UsageErrors. */
export function tokenize(argv: string[], t: OptionTable): RawValues {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const [name, s] of Object.entries(t)) {
    options[name] = { type: s.arg !== undefined ? "string" : "boolean" };
    if (s.short) options[name].short = s.short;
    if (s.multiple) options[name].multiple = true;
  }
  try {
    return parseArgs({
      args: joinOptionValues(argv, valuedOptions(t), new Set(Object.keys(t))),
      strict: true,
      allowPositionals: false,
      options,
    }).values as RawValues;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify.*$/s, ""));
  }
}

/** The options part of --help, section by section in table order. */
export function helpText(t: OptionTable, head: string, foot: string): string {
  const sections = new Map<string, string[]>();
  for (const [name, s] of Object.entries(t)) {
    const left = s.label ?? `--${name}${s.arg ? ` ${s.arg}` : ""}`;
    const [first, ...rest] = s.help.split("\n");
    const lines = sections.get(s.section) ?? [];
    lines.push(`  ${left.padEnd(20)} ${first}`.trimEnd());
    for (const r of rest) lines.push(`${" ".repeat(23)}${r}`);
    sections.set(s.section, lines);
  }
  const body = [...sections].map(([title, lines]) => `${title}:\n${lines.join("\n")}`);
  return `${head}\n${body.join("\n\n")}\n\n${foot}`;
}

/** A number option; `int` requires a whole number written in decimal digits. */
export function num(
  name: string,
  v: string | undefined,
  def: number,
  min: number,
  max: number,
  int = true,
): number {
  if (v === undefined) return def;
  const s = v.trim();
  const x = Number(s);
  // plain decimal only: no 0x10, 1e3, Infinity
  const form = int ? /^-?\d+$/ : /^-?(\d+\.?\d*|\.\d+)$/;
  if (!form.test(s) || !Number.isFinite(x) || x < min || x > max) {
    const what = int ? "a whole number" : "a number";
    throw new UsageError(`--${name}: expected ${what} from ${min} to ${max}, got '${v}'`);
  }
  return x;
}

/** A size option: digits with an optional K/M/G suffix. */
export function bytes(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const m = /^(\d+)([kKmMgG]?)$/.exec(v.trim());
  if (!m) throw new UsageError(`--${name}: expected a size like 8M or 65536, got '${v}'`);
  const mult = { "": 1, k: 1024, m: 1 << 20, g: 1 << 30 }[m[2].toLowerCase() as "" | "k"];
  return Number(m[1]) * mult;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(
  name: string,
  v: string | undefined,
  allowed: readonly T[],
  def: T,
): T {
  if (v === undefined) return def;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(`--${name}: expected one of ${allowed.join(", ")}, got '${v}'`);
  }
  return v as T;
}

/** A duration option (ms). */
export function duration(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  try {
    return parseDuration(v);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`);
  }
}
