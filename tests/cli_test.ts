import assert from "node:assert/strict";
import { deno, lastJson, ROOT, tickwire } from "./helpers.ts";
import { HELP, OPTIONS } from "../src/cli/args.ts";

const REQUIRED = [
  "frames",
  "ticks",
  "trades",
  "quotes",
  "malformed",
  "gaps",
  "ring_drops",
  "late",
  "bars",
];

Deno.test("--help documents every flag and exits 0", async () => {
  const r = await tickwire(["--help"]);
  assert.equal(r.code, 0);
  const flags = Object.keys(OPTIONS); // the one table the parser and --help are made from
  assert.ok(flags.length > 20);
  for (const f of flags) assert.ok(r.stdout.includes(`--${f}`), `--help mentions --${f}`);
  assert.equal(r.stdout.trim(), HELP.trim());
});

Deno.test("unknown flags and bad values are clear errors with exit code 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--feed", "carrier-pigeon"], /--feed: expected one of synth, udp, pcap, dpdk/],
    [["--rate", "fast"], /--rate: expected a whole number/],
    [["--idle", "nap"], /--idle: expected one of spin, yield, sleep/],
    [["--ring-size", "5000"], /--ring-size: must be a power of two/],
    [["--pcap", "x.pcap"], /--pcap applies to --feed pcap/],
    [["--feed", "pcap"], /--feed pcap needs --pcap FILE/],
    [["--feed", "pcap", "--pcap", "/nonexistent.pcap"], /capture file not found/],
    [["--feed", "dpdk"], /--feed dpdk needs --eal/],
    [["--feed", "udp", "--listen", "nowhere"], /--listen: expected HOST:PORT/],
    [["--anomalies", "2"], /--anomalies: expected a number from 0 to 0.5/],
  ];
  for (const [args, msg] of cases) {
    const r = await tickwire(args);
    assert.equal(r.code, 2, `exit code for ${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stdout, "", "nothing on stdout");
  }
});

Deno.test("a finite synthetic feed ends by itself with the JSON summary", async () => {
  const start = ["--start", "2026-01-02T14:30:00.000000001Z"];
  const r = await tickwire([
    "--count",
    "50000",
    "--rate",
    "0",
    "--no-http",
    "--seed",
    "9",
    ...start,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const s = lastJson<Record<string, number>>(r);
  for (const k of REQUIRED) assert.equal(typeof s[k], "number", `summary has ${k}`);
  assert.equal(s.ticks, 50000);
  assert.equal(s.trades + s.quotes, 50000);
  assert.equal(s.malformed, 0);
  assert.equal(s.gaps, 0);
  assert.equal(s.ring_drops, 0);
  assert.equal(s.stopped_by as unknown, "eof");
  // the span in which ticks came: inside the run, start-up and shut-down left out
  assert.ok(s.processing_s > 0 && s.processing_s < s.elapsed_s, `${s.processing_s} ${s.elapsed_s}`);
  // deterministic for a given seed, start and rate, whatever the threads do
  const again = lastJson<Record<string, number>>(
    await tickwire(["--count", "50000", "--rate", "0", "--seed", "9", "--idle", "spin", ...start]),
  );
  assert.equal(again.checksum, s.checksum);
  assert.equal(again.volume, s.volume);
  const other = lastJson<Record<string, number>>(
    await tickwire(["--count", "50000", "--rate", "0", "--seed", "10", ...start]),
  );
  assert.notEqual(other.checksum, s.checksum);
});

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`the default run prints a live status and, on ${sig}, the summary`, async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}src/main.ts`,
        "--status-interval",
        "0.3",
        "--http",
        "127.0.0.1:0",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await new Promise((r) => setTimeout(r, 2000));
    child.kill(sig);
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout),
      stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.match(
      stderr,
      /tickwire synth \(drop\) \| [\d.]+k? ticks\/s \| ticks [\d.]+[kM]? \| ring [\d.]+% \| drops 0/,
    );
    const s = JSON.parse(stdout.trim());
    for (const k of REQUIRED) assert.equal(typeof s[k], "number");
    assert.ok(s.ticks > 10000, `paced default feed delivered ${s.ticks}`);
    assert.equal(s.stopped_by, "signal");
    assert.equal(s.ring_drops, 0);
    assert.equal(s.gaps, 0);
  });
}

Deno.test("--duration stops the run; every idle strategy delivers everything", async () => {
  for (const idle of ["sleep", "yield", "spin"]) {
    const r = await tickwire(["--duration", "1", "--rate", "50000", "--idle", idle, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    const s = lastJson<Record<string, number>>(r);
    assert.equal(s.stopped_by as unknown, "duration");
    assert.ok(s.ticks > 20000, `${idle}: ${s.ticks} ticks`);
    assert.equal(s.ring_drops, 0);
    assert.equal(s.gaps, 0);
  }
});

Deno.test("--rx-cpu, --worker-cpu, --main-cpu pin the threads and the summary says where", async () => {
  const last = navigator.hardwareConcurrency - 1;
  const args = ["--count", "20000", "--rate", "0", "--no-http", "--quiet", "--no-model"];
  const r = await tickwire([
    ...args,
    "--rx-cpu",
    "0",
    "--worker-cpu",
    `${last}`,
    "--main-cpu",
    "0",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const s = lastJson<{ ticks: number; threads: Record<string, number | null> }>(r);
  assert.equal(s.ticks, 20000);
  assert.deepEqual(s.threads, { rx_cpu: 0, worker_cpu: last, main_cpu: 0, rt_priority: null });
  const none = lastJson<{ threads: Record<string, number | null> }>(await tickwire(args));
  assert.deepEqual(none.threads, {
    rx_cpu: null,
    worker_cpu: null,
    main_cpu: null,
    rt_priority: null,
  });
  const bad = await tickwire([...args, "--worker-cpu", `${last + 1}`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--worker-cpu: expected a whole number from 0 to/);
});

/** Scheduling class and real-time priority of each thread of a process, by thread name. */
function schedByThread(pid: number): Map<string, { policy: number; rt: number }[]> {
  const out = new Map<string, { policy: number; rt: number }[]>();
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    const stat = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/stat`);
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields 40 (rt_priority) and 41 (policy) of proc(5), counted from 3 here
    out.set(name, [...out.get(name) ?? [], { rt: Number(f[37]), policy: Number(f[38]) }]);
  }
  return out;
}

Deno.test({
  name: "--rt-priority runs the receive thread and the Worker in SCHED_FIFO, and says so",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}src/main.ts`, "--rate", "20000", "--duration", "3"].concat(
        ["--no-http", "--quiet", "--no-model", "--rt-priority", "7"],
      ),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await new Promise((r) => setTimeout(r, 2000)); // started, Worker warmed up, feed running
    const threads = schedByThread(child.pid);
    const out = await child.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const SCHED_FIFO = 1;
    assert.deepEqual(threads.get("tw-rx"), [{ policy: SCHED_FIFO, rt: 7 }]);
    assert.deepEqual(threads.get("worker-1"), [{ policy: SCHED_FIFO, rt: 7 }]);
    for (const [name, list] of threads) {
      if (name === "tw-rx" || name === "worker-1") continue;
      for (const t of list) assert.equal(t.policy, 0, `${name} stays an ordinary thread`);
    }
    const s = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    assert.equal(s.threads.rt_priority, 7);
    assert.equal(s.ring_drops, 0);

    // without the capability: a clear refusal at start, no stack trace
    const denied = await new Deno.Command("setpriv", {
      args: ["--bounding-set", "-sys_nice", Deno.execPath(), "run", "-A", `${ROOT}src/main.ts`]
        .concat([
          "--rate",
          "1000",
          "--duration",
          "1",
          "--no-http",
          "--quiet",
          "--rt-priority",
          "7",
        ]),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(denied.stderr);
    assert.notEqual(denied.code, 0);
    assert.match(err, /real-time priority 7.*needs root or CAP_SYS_NICE/);
    assert.doesNotMatch(err, /Uncaught|at file:/);

    const bad = await tickwire(["--rt-priority", "100", "--no-http"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--rt-priority: expected a whole number from 1 to 99, got '100'/);
  },
});

Deno.test("--version names the version and the library; TICKWIRE_TOKEN stands in for --token", async () => {
  const v = await tickwire(["--version"]);
  assert.equal(v.code, 0);
  assert.match(
    v.stdout.trim(),
    /^tickwire \d+\.\d+\.\d+ \(libtickwire ABI \d+, with(out)? DPDK\)$/,
  );
  // a non-loopback address needs a token: the environment's is taken
  const args = ["--http", "0.0.0.0:0", "--duration", "0.5", "--quiet", "--no-model"];
  assert.equal((await tickwire(args)).code, 2, "no token anywhere: refused");
  const ok = await tickwire(args, { env: { TICKWIRE_TOKEN: "env-token-1234" } });
  assert.equal(ok.code, 0, ok.stderr);
});

Deno.test("a run that ends by itself starts no server unless --http asks", async () => {
  const args = ["--count", "2000", "--rate", "0", "--no-model"];
  const batch = await deno("src/main.ts", args); // no --http: the helper would add one
  assert.equal(batch.code, 0, batch.stderr);
  assert.doesNotMatch(batch.stderr, /serving http/);
  const served = await deno("src/main.ts", [...args, "--http", "127.0.0.1:0"]);
  assert.match(served.stderr, /serving http:\/\/127\.0\.0\.1:\d+/);
});
