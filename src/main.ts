/**
 * `deno task run`: the tickwire command line. Picks the role and runs its
 * composition root (`src/app/`); see `--help`.
 *
 * @example
 * ```sh
 * deno task run                         # synthetic feed until Ctrl-C
 * deno task run --feed pcap --pcap f.pcap --exit-on-eof --no-http
 * deno task run --nats nats://127.0.0.1:4222 --shard 0/2     # a processor shard
 * deno task run --role gateway --nats nats://127.0.0.1:4222  # a gateway
 * ```
 * @module
 */
import { HELP, parseRunArgs, type RunOptions, UsageError } from "./cli/args.ts";
import { hasDpdk, native, NativeLibError } from "./native/lib.ts";
import meta from "../deno.json" with { type: "json" };
import { StartError } from "./app/lifecycle.ts";
import { WorkerFailed } from "./pipeline/host.ts";
import { runStandalone } from "./app/standalone.ts";
import { runProcessor } from "./app/processor.ts";
import { runGateway } from "./app/gateway.ts";
import { Interrupted } from "./cluster/nats.ts";

/** `tickwire VERSION (libtickwire ABI N, with|without DPDK)`. */
function version(): string {
  let lib = "libtickwire not built: run 'deno task build'";
  try {
    lib = `libtickwire ABI ${native().symbols.tw_abi_version()}, ` +
      `${hasDpdk() ? "with" : "without"} DPDK`;
  } catch { /* not built: said so */ }
  return `tickwire ${meta.version} (${lib})`;
}

/** Runs the chosen role; returns the exit code. */
async function runRole(opts: RunOptions, signal: AbortSignal): Promise<number> {
  if (opts.role === "gateway") {
    const g = await runGateway(opts, signal);
    console.log(JSON.stringify(g));
    if (g.error) console.error(`tickwire: gateway failed: ${g.error}`);
    return g.error ? 1 : 0;
  }
  const run = opts.role === "processor" ? runProcessor : runStandalone;
  const summary = await run(opts, signal);
  console.log(JSON.stringify(summary));
  if (!summary.error) return 0;
  console.error(`tickwire: feed failed: ${summary.error}`);
  return 1;
}

async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseRunArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`tickwire: ${e.message}\nRun 'deno task run --help' for usage.`);
    return 2;
  }
  if (opts.help) {
    console.log(HELP);
    return 0;
  }
  if (opts.version) {
    console.log(version());
    return 0;
  }
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    return await runRole(opts, ac.signal);
  } catch (e) {
    if (e instanceof Interrupted) {
      console.error(`tickwire: ${e.message}`);
      return 130;
    }
    if (e instanceof WorkerFailed) {
      console.error(`tickwire: ${e.message}`);
      return 1;
    }
    if (!(e instanceof StartError || e instanceof NativeLibError)) throw e;
    console.error(`tickwire: ${e.message}`);
    return e instanceof StartError ? 2 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  let code = 1;
  try {
    code = await main(Deno.args);
  } catch (e) {
    console.error(`tickwire: ${(e as Error)?.stack ?? e}`);
  }
  Deno.exit(code); // also ends the pipeline Worker if a failure left it running
}
