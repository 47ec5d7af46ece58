/**
 * Connecting to NATS and making sure the JetStream stream exists, shared by
 * processors and gateways. Connections retry for ever (a cluster node may
 * be restarting); the first connection waits up to `connectTimeoutMs` and
 * then fails with a clear message.
 *
 * @example
 * ```ts ignore
 * import { connectNats, ensureStream } from "./nats.ts";
 * const nc = await connectNats(["nats://127.0.0.1:4222"], "tickwire-doc");
 * await ensureStream(nc, { name: "TICKWIRE", retentionMs: 86_400_000, maxBytes: 1 << 30, replicas: 1 });
 * await nc.close();
 * ```
 * @module
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { STREAM_SUBJECTS } from "./subjects.ts";

/** Stream settings. */
export interface StreamSettings {
  name: string;
  /** how long set-up may take (ms; 15 s) */
  timeoutMs?: number;
  /** only create a missing stream, never change an existing one (gateways) */
  createOnly?: boolean;
  retentionMs: number;
  maxBytes: number;
  replicas: number;
  /** Ctrl-C: stop trying at once */
  signal?: AbortSignal;
}

/** Thrown when NATS cannot be reached or the stream cannot be set up. */
export class ClusterError extends Error {
  override name = "ClusterError";
}

/** A signal (Ctrl-C) came while NATS was being reached: exit at once. */
export class Interrupted extends ClusterError {
  override name = "Interrupted";
}

/** Rejects with Interrupted when `signal` aborts (never settles without one). */
function aborted(signal?: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    const stop = () => reject(new Interrupted("interrupted while connecting to NATS"));
    if (signal?.aborted) stop();
    signal?.addEventListener("abort", stop, { once: true });
  });
}

/** True when the stream's limits or subjects differ from what this process wants. */
export function streamDiffers(
  have: { max_age: number; max_bytes: number; num_replicas: number; subjects: string[] },
  want: { max_age?: number; max_bytes?: number; num_replicas?: number; subjects?: string[] },
): boolean {
  return have.max_age !== want.max_age || have.max_bytes !== want.max_bytes ||
    have.num_replicas !== want.num_replicas || have.subjects.join() !== want.subjects?.join();
}

/** How long a first connection or the stream set-up may take. */
const SETUP_MS = 15_000;

/** Connects, retrying for ever once connected; logs reconnects on stderr unless quiet. */
export async function connectNats(
  servers: string[],
  name: string,
  quiet = false,
  connectTimeoutMs = SETUP_MS,
  signal?: AbortSignal,
): Promise<NatsConnection> {
  const first = connect({
    servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    pingInterval: 2000,
    maxPingOut: 2,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ClusterError(
            `cannot reach NATS at ${servers.join(",")} within ${connectTimeoutMs / 1000} s`,
          ),
        ),
      connectTimeoutMs,
    );
  });
  let nc: NatsConnection;
  try {
    nc = await Promise.race([first, timeout, aborted(signal)]);
  } catch (e) {
    first.then((c) => c.close()).catch(() => {});
    if (e instanceof ClusterError) throw e;
    throw new ClusterError(
      `cannot connect to NATS at ${servers.join(",")}: ${(e as Error).message}`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (!quiet) {
    (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect" || s.type === "reconnect") {
          console.error(`tickwire: nats ${s.type} ${"server" in s ? s.server : ""}`);
        }
      }
    })().catch(() => {});
  }
  return nc;
}

/**
 * Creates the stream, or (unless `createOnly`) updates its limits when it
 * exists with others.
 * Retries while the cluster elects its JetStream leader (a fresh cluster
 * answers "no responders" or times out for a few seconds).
 */
export async function ensureStream(nc: NatsConnection, s: StreamSettings): Promise<void> {
  const config = {
    name: s.name,
    subjects: STREAM_SUBJECTS,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: s.retentionMs * 1e6, // nanoseconds
    max_bytes: s.maxBytes,
    num_replicas: s.replicas,
    duplicate_window: 120e9, // 2 min: publish retries after a failover are deduplicated
  };
  const deadline = Date.now() + (s.timeoutMs ?? SETUP_MS);
  let last = "";
  while (Date.now() < deadline) {
    if (s.signal?.aborted) throw new Interrupted("interrupted while setting up the NATS stream");
    try {
      const jsm = await jetstreamManager(nc, { timeout: 5000 });
      try {
        const info = await jsm.streams.info(s.name);
        // a gateway (createOnly) never changes a stream the processors own
        if (!s.createOnly && streamDiffers(info.config, config)) {
          await jsm.streams.update(s.name, { ...info.config, ...config });
        }
        return;
      } catch (e) {
        if (!/not found/i.test((e as Error).message)) throw e;
      }
      await jsm.streams.add(config);
      return;
    } catch (e) {
      last = (e as Error).message;
      if (/already in use/i.test(last)) continue; // another process created it: re-read
      if (/insufficient resources|replicas/i.test(last)) {
        throw new ClusterError(
          `stream ${s.name}: ${last} (is --replicas larger than the cluster?)`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new ClusterError(`stream ${s.name}: JetStream did not answer in time (${last})`);
}
