/**
 * Shared test helpers: run the CLI and tools as a user would (subprocess,
 * real arguments), temporary files, paths to the shared data.
 * @module
 */

/** Project root. */
export const ROOT = new URL("../", import.meta.url).pathname;
/** Shared read-only data beside the project. */
export const SHARED = new URL("../../shared/data/", import.meta.url).pathname;
/** LOBSTER sample folder. */
export const LOBSTER = `${SHARED}lobster-2012-06-21/`;

/** Result of a subprocess. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a project script with deno (all permissions), waits for it. */
export async function deno(
  script: string,
  args: string[],
  opts: { timeoutMs?: number } = {},
): Promise<Run> {
  const flags = script.includes("tools/feed.ts") ? ["--unstable-net"] : [];
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...flags, `${ROOT}${script}`, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
  const child = cmd.spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, opts.timeoutMs ?? 120_000);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** `deno task run` equivalent. */
export function tickwire(args: string[], opts: { timeoutMs?: number } = {}): Promise<Run> {
  return deno("src/main.ts", args, opts);
}

/** Parses the last JSON line of stdout. */
export function lastJson<T = Record<string, unknown>>(r: Run): T {
  const lines = r.stdout.trim().split("\n").filter((l) => l.startsWith("{"));
  if (lines.length === 0) {
    throw new Error(`no JSON on stdout (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return JSON.parse(lines[lines.length - 1]) as T;
}

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "tickwire-test-" });
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** True when running as root (network namespaces need it). */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

/** Runs a command line; throws with its output on failure. */
export async function sh(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${dec.decode(out.stderr)}${dec.decode(out.stdout)}`,
    );
  }
  return dec.decode(out.stdout);
}
