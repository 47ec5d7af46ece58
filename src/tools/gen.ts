/**
 * Regenerates the FlatBuffers TypeScript code in `src/wire/generated/` from
 * `schemas/*.fbs` with `flatc` (Debian package `flatbuffers-compiler`).
 * With `--check` it only compares and exits 1 when regenerating would change
 * the committed files.
 *
 * @example
 * ```sh
 * deno task gen          # rewrite src/wire/generated/
 * deno task gen:check    # fail if the committed code is stale
 * ```
 * @module
 */
import { parseArgs } from "node:util";

const root = new URL("../../", import.meta.url).pathname;
const outDir = `${root}src/wire/generated/`;
const schemas = ["schemas/tickwire.fbs", "schemas/outbound.fbs"];

/** Runs flatc into a temporary folder and returns the generated files. */
export async function generate(): Promise<Map<string, string>> {
  const tmp = await Deno.makeTempDir({ prefix: "tickwire-gen-" });
  try {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command("flatc", {
        args: ["--ts", "--ts-flat-files", "-o", tmp, ...schemas],
        cwd: root,
      }).output();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new Error(
          "flatc not found: install the FlatBuffers compiler " +
            "(Debian: apt-get install -y flatbuffers-compiler)",
        );
      }
      throw e;
    }
    if (!out.success) {
      throw new Error(`flatc failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    const files = new Map<string, string>();
    for await (const e of Deno.readDir(tmp)) {
      files.set(e.name, await Deno.readTextFile(`${tmp}/${e.name}`));
    }
    return files;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { check: { type: "boolean", default: false } },
  });
  const files = await generate();
  let stale = 0;
  for (const [name, text] of files) {
    let old = "";
    try {
      old = await Deno.readTextFile(outDir + name);
    } catch { /* new file */ }
    if (old === text) continue;
    if (values.check) {
      console.error(`stale generated code: src/wire/generated/${name}`);
      stale++;
    } else {
      await Deno.mkdir(outDir, { recursive: true });
      await Deno.writeTextFile(outDir + name, text);
      console.error(`wrote src/wire/generated/${name}`);
    }
  }
  if (stale) {
    console.error("run 'deno task gen' and commit the result");
    Deno.exit(1);
  }
  if (values.check) console.error("generated code is up to date");
}
