/**
 * Regenerates the FlatBuffers TypeScript code in `src/wire/generated/` from
 * `schemas/*.fbs` with `flatc` (Debian package `flatbuffers-compiler`), and
 * `src/ring/layout.ts` from `ffi/include/ring_layout.h`.
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
import { layoutTs } from "./layout_gen.ts";

const root = new URL("../../", import.meta.url).pathname;
const schemas = ["schemas/tickwire.fbs", "schemas/outbound.fbs"];

/** Runs flatc into a temporary folder and returns the generated files. */
export async function generateFlatbuffers(): Promise<Map<string, string>> {
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

/** Every generated file, by path from the project root. */
export async function generate(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const [name, text] of await generateFlatbuffers()) {
    files.set(`src/wire/generated/${name}`, text);
  }
  const ringH = await Deno.readTextFile(`${root}ffi/include/ring_layout.h`);
  const wireH = await Deno.readTextFile(`${root}ffi/src/wire.h`);
  files.set("src/ring/layout.ts", await format(layoutTs(ringH, wireH)));
  return files;
}

/** Formats TypeScript the way `deno fmt` does, so the check compares like with like. */
async function format(text: string): Promise<string> {
  const tmp = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(tmp, text);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "-q", "--config", `${root}deno.json`, tmp],
    }).output();
    if (!out.success) throw new Error(`deno fmt failed: ${new TextDecoder().decode(out.stderr)}`);
    return await Deno.readTextFile(tmp);
  } finally {
    await Deno.remove(tmp);
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
      old = await Deno.readTextFile(root + name);
    } catch { /* new file */ }
    if (old === text) continue;
    if (values.check) {
      console.error(`stale generated code: ${name}`);
      stale++;
    } else {
      await Deno.mkdir(root + name.replace(/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(root + name, text);
      console.error(`wrote ${name}`);
    }
  }
  if (stale) {
    console.error("run 'deno task gen' and commit the result");
    Deno.exit(1);
  }
  if (values.check) console.error("generated code is up to date");
}
