/**
 * Command lines of the benchmarks, from the same option tables as the
 * programs (src/cli/table.ts): `--help` prints the usage and exits 0; an
 * unknown option, a missing value or a value out of range prints one line
 * saying what is wrong, then the usage, and exits 2 (no stack trace).
 *
 * @example
 * ```ts ignore
 * import { benchArgs } from "./lib/cli.ts";
 * const v = benchArgs("bench:idle", "Usage: deno task bench:idle [options]", {
 *   seconds: { arg: "S", section: "Options", help: "seconds per row (1.5)" },
 * }, (raw, num) => ({ seconds: num("seconds", raw.seconds, 1.5, 0.01, 3600, false) }));
 * ```
 * @module
 */
import {
  helpText,
  num,
  type OptionTable,
  type RawValues,
  tokenize,
  UsageError,
} from "../../src/cli/table.ts";

/** Parses Deno.args by `table` through `check` (which throws UsageError on a bad value). */
export function benchArgs<T>(
  name: string,
  head: string,
  table: OptionTable,
  check: (raw: RawValues, n: typeof num) => T,
  argv: string[] = Deno.args,
): T {
  const full: OptionTable = {
    ...table,
    help: { section: "Options", help: "print this help and exit" },
  };
  const usage = helpText(full, `${head}\n`, "").trimEnd();
  try {
    const raw = tokenize(argv, full);
    if (raw.help === true) {
      console.log(usage);
      Deno.exit(0);
    }
    return check(raw, num);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${name}: ${e.message}\n\n${usage}`);
    Deno.exit(2);
  }
}

/** A comma-separated list of numbers from `min` to `max` (`--rates 10000,100000`). */
export function numList(
  option: string,
  v: string | undefined,
  def: string,
  min: number,
  max: number,
): number[] {
  return (v ?? def).split(",").map((s) => num(option, s, 0, min, max));
}
