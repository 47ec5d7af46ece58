/**
 * Shared test helpers: run the CLI and tools as a user would (subprocess,
 * real arguments), temporary files, paths to the shared data.
 * @module
 */

import assert from "node:assert/strict";

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
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<Run> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}${script}`, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: opts.env,
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

/**
 * Tests never take the default port 8080: unless a test chooses, the
 * server binds a free port.
 */
function withFreePort(args: string[]): string[] {
  return args.includes("--http") || args.includes("--no-http") || args.includes("--help")
    ? args
    : [...args, "--http", "127.0.0.1:0"];
}

/** `deno task run` equivalent. */
export function tickwire(
  args: string[],
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<Run> {
  return deno("src/main.ts", withFreePort(args), opts);
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

/** A tickwire process running in the background. */
export interface Background {
  child: Deno.ChildProcess;
  /** Resolves when the feed is running (its stderr says so). */
  ready: Promise<void>;
  /** The server's base URL, once it said where it serves. */
  url(): string;
  /** Sends SIGINT and collects the output. */
  stop(): Promise<Run>;
  /** Collects the output once it exits by itself. */
  wait(): Promise<Run>;
}

/** Starts `deno run src/main.ts ARGS` (optionally wrapped, e.g. ip netns exec). */
export function startTickwire(args: string[], wrap: string[] = []): Background {
  const argv = [...wrap, Deno.execPath(), "run", "-A", `${ROOT}src/main.ts`, ...withFreePort(args)];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  })
    .spawn();
  let stderr = "";
  const { promise: ready, resolve: onReady, reject: onFail } = Promise.withResolvers<void>();
  ready.catch(() => {}); // reported through `ready` to whoever awaits it
  const errDone = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      stderr += dec.decode(chunk, { stream: true });
      if (/feed running|gateway serving/.test(stderr)) onReady();
    }
    onFail(new Error(`tickwire ended before its feed ran:\n${stderr}`));
  })();
  const outDone = (async () => {
    let s = "";
    const dec = new TextDecoder();
    for await (const chunk of child.stdout) s += dec.decode(chunk, { stream: true });
    return s;
  })();
  const wait = async (): Promise<Run> => {
    const st = await child.status;
    const stdout = await outDone;
    await errDone;
    return { code: st.code, stdout, stderr };
  };
  return {
    child,
    ready,
    url() {
      const m = /serving (http:\/\/\S+)/.exec(stderr);
      if (!m) throw new Error(`no server URL in stderr: ${stderr}`);
      return m[1];
    },
    wait,
    async stop() {
      try {
        child.kill("SIGINT");
      } catch { /* already gone */ }
      return await wait();
    },
  };
}

/** A free UDP port on 127.0.0.1. */
export function freeUdpPort(): number {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (s.addr as Deno.NetAddr).port;
  s.close();
  return port;
}

/** The LOBSTER sample message file of a symbol (2012-06-21). */
export function lobsterFile(symbol: string): string {
  return `${LOBSTER}${symbol}_2012-06-21_34200000_57600000_message_1.csv`;
}

/** `deno task import-lobster --in CSV --symbol SYM --date DATE --out PCAP`. */
export function importLobster(
  csv: string,
  symbol: string,
  out: string,
  date = "2012-06-21",
  extra: string[] = [],
): Promise<Run> {
  return deno("src/tools/import_lobster.ts", [
    ...extra,
    "--in",
    csv,
    "--symbol",
    symbol,
    "--date",
    date,
    "--out",
    out,
  ]);
}

/** tickwire receiving UDP on a free loopback port, status line off. */
export function startUdpTickwire(extra: string[] = []): { bg: Background; port: number } {
  const port = freeUdpPort();
  const bg = startTickwire([
    "--feed",
    "udp",
    "--listen",
    `127.0.0.1:${port}`,
    "--status-interval",
    "0",
    ...extra,
  ]);
  return { bg, port };
}

/** The path of executable `name` on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const p = `${dir}/${name}`;
      if (Deno.statSync(p).isFile) return p;
    } catch { /* not here */ }
  }
  return undefined;
}

/**
 * The path of a tool a test needs (`env` names a variable that overrides
 * PATH), or undefined with a clear skip note; CI must have it.
 */
export function findTool(name: string, debianPackage: string, env?: string): string | undefined {
  const p = (env ? Deno.env.get(env) : undefined) ?? onPath(name);
  if (p !== undefined) return p;
  const how = `apt-get install -y ${debianPackage}${env ? `, or set ${env}` : ""}`;
  console.warn(`SKIPPED: ${name} is not installed (${how})`);
  if (Deno.env.get("CI") === "true") throw new Error(`CI must install ${debianPackage}`);
  return undefined;
}

/** True when Chromium is found (CHROME_PATH, else `chromium` on PATH). */
export function hasChromium(): boolean {
  return findTool("chromium", "chromium", "CHROME_PATH") !== undefined;
}

/** Launches Debian's Chromium headless through playwright-core. */
export async function launchChromium() {
  // test-only: kept out of deno.json so that `deno task run` never installs it
  // deno-lint-ignore no-import-prefix
  const { chromium } = await import("npm:playwright-core@1.65.1");
  return await chromium.launch({
    executablePath: Deno.env.get("CHROME_PATH") ?? onPath("chromium"),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Green and red candle pixels on a dashboard page's chart canvases. */
export async function candlePixels(
  page: { evaluate(js: string): Promise<unknown> },
): Promise<number> {
  // browser-side code as a string: this file is type-checked without the DOM
  return await page.evaluate(`(() => {
    let n = 0;
    for (const cv of document.querySelectorAll("canvas")) {
      const ctx = cv.getContext("2d");
      if (!ctx || cv.width === 0) continue;
      const d = ctx.getImageData(0, 0, cv.width, cv.height).data;
      for (let i = 0; i < d.length; i += 4) {
        const r = d[i], g = d[i + 1], b = d[i + 2];
        if ((g > 140 && r < 80 && b > 120) || (r > 200 && g < 110 && b < 110)) n++;
      }
    }
    return n;
  })()`) as number;
}

/** Small deterministic PRNG (mulberry32), so a failing run can be replayed. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sends SIGINT and fails (after a SIGKILL) if the process has not ended within `ms`. */
export async function stopWithin(bg: Background, ms: number): Promise<Run> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((r) => timer = setTimeout(() => r("hung"), ms));
  const r = await Promise.race([bg.stop(), hung]);
  clearTimeout(timer);
  if (r !== "hung") return r;
  bg.child.kill("SIGKILL");
  throw new Error(`SIGINT was not honoured within ${ms} ms`);
}

/** Asserts that Prometheus' own checker finds nothing to say about `text` (skipped without promtool). */
export async function promtoolClean(text: string): Promise<void> {
  const promtool = findTool("promtool", "prometheus");
  if (promtool === undefined) return;
  const p = new Deno.Command(promtool, {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const o = await p.output();
  const said = new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
  if (!o.success || said.trim() !== "") {
    throw new Error(`promtool check metrics:\n${said}\n--- input ---\n${text}`);
  }
}

/** What a --trace-gc run of a probe script saw between its BEGIN and END lines. */
export interface Probe {
  /** garbage collections between the markers */
  gcs: number;
  /** young-generation (allocation-driven) collections */
  scavenges: number;
  /** young-generation bytes freed by them, per unit of work */
  bytesPerTick: number;
  ticks: number;
  bars: number;
}

/**
 * Runs `script mode` under --trace-gc; the script prints BEGIN, does the
 * measured work, prints END, then a JSON line with `ticks` (units of work)
 * and optionally `bars`.
 */
export async function gcProbe(script: string, mode: string): Promise<Probe> {
  // stdbuf: V8 prints GC traces through C stdio; line buffering keeps them
  // in order with the BEGIN/END markers.
  const out = await new Deno.Command("stdbuf", {
    args: [
      "-oL",
      Deno.execPath(),
      "run",
      "-A",
      "--v8-flags=--trace-gc",
      script,
      mode,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const lines = text.split("\n");
  const b = lines.indexOf("BEGIN"), e = lines.indexOf("END");
  assert.ok(b >= 0 && e > b, text.slice(0, 2000));
  const gcLines = lines.slice(b + 1, e).filter((l) => /Scavenge|Mark-Compact|Minor/.test(l));
  let freedMb = 0;
  for (const l of gcLines) {
    const m = /(?:Scavenge|Minor[\w-]*|Mark-Compact)(?: \([^)]*\))? ([\d.]+) \([\d.]+\) -> ([\d.]+)/
      .exec(l);
    if (m) freedMb += Math.max(0, Number(m[1]) - Number(m[2]));
  }
  const summary = JSON.parse(lines.slice(e + 1).find((l) => l.startsWith("{"))!);
  return {
    gcs: gcLines.length,
    scavenges: gcLines.filter((l) => /Scavenge|Minor/.test(l)).length,
    bytesPerTick: (freedMb * 1024 * 1024) / summary.ticks,
    ticks: summary.ticks,
    bars: summary.bars,
  };
}

/** A WebSocket client of a tickwire server (its http URL) collecting every JSON message. */
export async function wsClient<M = Record<string, unknown>>(url: string) {
  const ws = new WebSocket(url.replace(/^http/, "ws") + "/v1/stream");
  const got: M[] = [];
  ws.onmessage = (e) => got.push(JSON.parse(e.data as string));
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  return { ws, got };
}

/** Waits until `cond()` holds, checking every 20 ms; throws after `ms`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
