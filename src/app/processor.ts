/**
 * The processor role (`--nats`, `--shard`): a pipeline that also publishes
 * its trades, bars and anomalies to NATS. NATS and the stream are set up
 * before the feed starts; every trade goes out (the Worker waits for event
 * ring room rather than drop one), and the process exits only once
 * JetStream has acknowledged every final bar and anomaly (30 s at most).
 *
 * @example
 * ```ts ignore
 * const summary = await runProcessor(parseRunArgs(["--nats", "nats://127.0.0.1:4222"]), signal);
 * ```
 * @module
 */
import type { RunOptions } from "../cli/args.ts";
import { ClusterPublisher } from "../cluster/publisher.ts";
import { ClusterError, Interrupted } from "../cluster/nats.ts";
import { ClusterSink } from "../sinks/cluster.ts";
import { TickWant } from "../pipeline/shared.ts";
import { StartError } from "./lifecycle.ts";
import { runPipeline } from "./pipeline.ts";
import type { Summary } from "./summary.ts";

const ACK_TIMEOUT_MS = 30_000;

async function connect(o: RunOptions, signal?: AbortSignal): Promise<ClusterPublisher> {
  const shard = o.shard ? `-${o.shard.index}/${o.shard.count}` : "";
  try {
    return await ClusterPublisher.start({
      servers: o.nats!,
      name: `tickwire-processor${shard}`,
      quiet: o.quiet,
      stream: {
        name: o.stream,
        retentionMs: o.retentionMs,
        maxBytes: o.streamMaxBytes,
        replicas: o.replicas,
        timeoutMs: o.natsTimeoutMs,
        signal,
      },
    });
  } catch (e) {
    if (e instanceof Interrupted) throw e;
    if (e instanceof ClusterError) throw new StartError(`--nats: ${e.message}`);
    throw e;
  }
}

/** Runs a processor; returns the summary with its `cluster` part. */
export async function runProcessor(o: RunOptions, signal?: AbortSignal): Promise<Summary> {
  const publisher = await connect(o, signal);
  const sink = new ClusterSink(publisher, ACK_TIMEOUT_MS);
  return runPipeline(o, signal, {
    sinks: [sink],
    baseWant: TickWant.trades | TickWant.lossless,
    liveBars: true,
    abort: () => publisher.close(),
    finish(s) {
      const shard = o.shard ? `${o.shard.index}/${o.shard.count}` : null;
      s.cluster = { shard, ...publisher.stats, unacked: sink.unacked };
      if (sink.unacked > 0 && !s.error) {
        s.error = `${sink.unacked} final bars/anomalies not acknowledged by JetStream within 30 s`;
      }
    },
  });
}
