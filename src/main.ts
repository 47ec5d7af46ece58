/**
 * `deno task run`: the tickwire command line. See `--help`.
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
import { HELP, parseRunArgs, UsageError } from "./cli/args.ts";
import { FeedStartError, runPipeline } from "./pipeline/run.ts";
import { NativeLibError } from "./native/lib.ts";
import { GatewayStartError, runGateway } from "./cluster/gateway.ts";

async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseRunArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(
        `tickwire: ${e.message}\nRun 'deno task run --help' for usage.`,
      );
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    console.log(HELP);
    return 0;
  }
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    if (opts.role === "gateway") {
      const g = await runGateway(opts, ac.signal);
      console.log(JSON.stringify(g));
      if (g.error) console.error(`tickwire: gateway failed: ${g.error}`);
      return g.error ? 1 : 0;
    }
    const summary = await runPipeline(opts, ac.signal);
    console.log(JSON.stringify(summary));
    if (summary.error) {
      console.error(`tickwire: feed failed: ${summary.error}`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof FeedStartError || e instanceof GatewayStartError) {
      console.error(`tickwire: ${e.message}`);
      return 2;
    }
    if (e instanceof NativeLibError) {
      console.error(`tickwire: ${e.message}`);
      return 1;
    }
    throw e;
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
