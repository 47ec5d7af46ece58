/**
 * Process plumbing for the benchmarks: start a program and wait for its
 * ready line, read its CPU time and memory from /proc, stop it and take its
 * last JSON line, and a veth pair in a network namespace for DPDK's
 * net_af_packet.
 *
 * @example
 * ```ts ignore
 * const p = spawn(["deno", "run", "-A", "src/main.ts"], /feed running/);
 * await p.ready;
 * const cpu = cpuSeconds(p.pid);
 * const { stdout } = await p.stop("SIGINT");
 * ```
 * @module
 */

/** A started program. */
export interface Proc {
  pid: number;
  /** resolves when stderr matched the ready pattern; rejects when the program ended first */
  ready: Promise<void>;
  /** resolves when the program has ended */
  exited: Promise<void>;
  stop(sig?: Deno.Signal): Promise<{ stdout: string; stderr: string; code: number }>;
}

/** Starts `argv`; `ready` waits for `readyOn` on stderr. */
export function spawn(argv: string[], readyOn: RegExp): Proc {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let stderr = "", stdout = "";
  const { promise: ready, resolve, reject } = Promise.withResolvers<void>();
  ready.catch(() => {});
  const errDone = (async () => {
    const d = new TextDecoder();
    for await (const c of child.stderr) {
      stderr += d.decode(c, { stream: true });
      if (readyOn.test(stderr)) resolve();
    }
    reject(new Error(`${argv.slice(0, 4).join(" ")} ended early: ${stderr.slice(-2000)}`));
  })();
  const outDone = (async () => {
    const d = new TextDecoder();
    for await (const c of child.stdout) stdout += d.decode(c, { stream: true });
  })();
  return {
    pid: child.pid,
    ready,
    exited: child.status.then(() => {}),
    async stop(sig: Deno.Signal = "SIGINT") {
      try {
        child.kill(sig);
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 30_000);
      const st = await child.status;
      clearTimeout(timer);
      await outDone;
      await errDone;
      return { stdout, stderr, code: st.code };
    },
  };
}

/** Runs `argv` to completion; its stdout, or an error with its stderr. */
export async function run(argv: string[]): Promise<string> {
  const o = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!o.success) throw new Error(`${argv.join(" ")}: ${new TextDecoder().decode(o.stderr)}`);
  return new TextDecoder().decode(o.stdout);
}

const CLK_TCK = 100; // Linux USER_HZ

/** User + system CPU seconds of a process and all its threads so far (0 if gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  } catch {
    return 0;
  }
}

/**
 * User + system CPU seconds of this process's children that have ended and
 * been waited for (a publisher run to its end with `run`), so far.
 */
export function childCpuSeconds(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[13]) + Number(f[14])) / CLK_TCK; // cutime, cstime (fields 16, 17)
}

/** CPU seconds so far of each thread of a process, by thread id (with its name). */
export function threadSeconds(pid: number): Map<number, { name: string; s: number }> {
  const out = new Map<number, { name: string; s: number }>();
  try {
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      try {
        const stat = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/stat`);
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        out.set(Number(t.name), { name, s: (Number(f[11]) + Number(f[12])) / CLK_TCK });
      } catch { /* the thread ended */ }
    }
  } catch { /* the process ended */ }
  return out;
}

/** Peak resident set (VmHWM) and current RSS of a process, in bytes. */
export function memory(pid: number): { rss: number; peak: number } {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (k: string) => Number((new RegExp(`${k}:\\s+(\\d+)`).exec(s) ?? [])[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** The last line of `stdout` holding a JSON object (GC trace lines share stdout). */
export function lastJson(stdout: string): Record<string, unknown> {
  const l = stdout.split("\n").filter((x) => x.includes('{"')).pop();
  if (!l) throw new Error(`no summary in: ${stdout.slice(-500)}`);
  return JSON.parse(l.slice(l.indexOf('{"')));
}

/** GC count and bytes freed per tick from --trace-gc lines. */
export function gcStats(stdout: string, ticks: number) {
  let gcs = 0, freed = 0;
  for (const l of stdout.split("\n")) {
    const m = /(Scavenge|Mark-Compact|Minor[\w-]*) ([\d.]+) \([\d.]+\) -> ([\d.]+)/.exec(l);
    if (!m) continue;
    gcs++;
    freed += Math.max(0, Number(m[2]) - Number(m[3]));
  }
  return {
    gc_count: gcs,
    gc_bytes_per_tick: ticks ? Number(((freed * 2 ** 20) / ticks).toFixed(2)) : 0,
  };
}

/** Runs `fn` with a veth pair whose peer sits in a new network namespace (root only). */
export async function withVeth<T>(
  fn: (ns: string, iface: string, ownIp: string) => Promise<T>,
): Promise<T> {
  const id = `${Deno.pid % 10000}`;
  const ns = `twbench${id}`, a = `twba${id}`, b = `twbb${id}`;
  const own = "10.213.9.1", peer = "10.213.9.2";
  const ip = (...args: string[]) => run(["ip", ...args]);
  try {
    await ip("netns", "add", ns);
    await ip("link", "add", a, "type", "veth", "peer", "name", b);
    await ip("link", "set", b, "netns", ns);
    await ip("addr", "add", `${own}/30`, "dev", a);
    await ip("link", "set", a, "up");
    await ip("netns", "exec", ns, "ip", "addr", "add", `${peer}/30`, "dev", b);
    await ip("netns", "exec", ns, "ip", "link", "set", b, "up");
    return await fn(ns, a, own);
  } finally {
    await ip("link", "del", a).catch(() => {});
    await ip("netns", "del", ns).catch(() => {});
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
