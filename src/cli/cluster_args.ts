/**
 * The cluster part of the command line (`--role`, `--nats`, `--shard`,
 * `--stream` and the stream's limits), checked together.
 *
 * @example
 * ```ts
 * import { parseCluster } from "./cluster_args.ts";
 * console.log(parseCluster({ nats: "nats://127.0.0.1:4222" }).role); // processor
 * ```
 * @module
 */
import { parseShard, type Shard } from "../pipeline/shard.ts";
import { bytes, duration, num, oneOf, type RawValues, UsageError } from "./table.ts";

/** Process roles. */
export const ROLES = ["standalone", "processor", "gateway"] as const;
/** One of ROLES. */
export type Role = typeof ROLES[number];

/** A NATS server address: nats://host:port, host:port or host. */
const NATS_URL = /^(nats:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/** Checks the cluster options. */
export function parseCluster(v: RawValues) {
  const natsArg = v.nats as string | undefined;
  const role = oneOf(
    "role",
    v.role as string | undefined,
    ROLES,
    natsArg !== undefined ? "processor" : "standalone",
  );
  let nats: string[] | undefined;
  if (natsArg !== undefined) {
    nats = natsArg.split(",").map((u) => u.trim()).filter((u) => u !== "");
    const bad = nats.find((u) => !NATS_URL.test(u));
    if (nats.length === 0 || bad !== undefined) {
      throw new UsageError(
        `--nats: expected nats://HOST:PORT[,...], got '${bad ?? natsArg}'`,
      );
    }
  }
  if (role !== "standalone" && nats === undefined) {
    throw new UsageError(`--role ${role} needs --nats URLS`);
  }
  if (role === "standalone" && nats !== undefined) {
    throw new UsageError("--nats needs --role processor or --role gateway");
  }
  let shard: Shard | undefined;
  if (v.shard !== undefined) {
    if (role === "gateway") throw new UsageError("--shard applies to processors, not gateways");
    try {
      shard = parseShard(v.shard as string);
    } catch (e) {
      throw new UsageError(`--shard: ${(e as Error).message}`);
    }
  }
  const stream = (v.stream as string | undefined) ?? "TICKWIRE";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) {
    throw new UsageError(`--stream: letters, digits, _ and - only, got '${stream}'`);
  }
  const retentionMs = duration("retention", v.retention as string | undefined, 86_400_000);
  if (retentionMs < 1000) throw new UsageError("--retention: at least 1s");
  return {
    role,
    nats,
    shard,
    stream,
    retentionMs,
    streamMaxBytes: bytes("stream-max-bytes", v["stream-max-bytes"] as string | undefined, 1 << 30),
    replicas: num("replicas", v.replicas as string | undefined, 1, 1, 5),
    natsTimeoutMs: duration("nats-timeout", v["nats-timeout"] as string | undefined, 15_000),
  };
}
