/**
 * Test helper: real `nats-server` processes (Debian package) on loopback,
 * one node or a JetStream cluster, each with its own store in a temporary
 * folder. Nodes can be killed (SIGKILL) and restarted.
 */
import { tempDir } from "./helpers.ts";

/** A free TCP port on 127.0.0.1. */
export function freeTcpPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

interface Node {
  name: string;
  port: number;
  monitor: number;
  conf: string;
  child?: Deno.ChildProcess;
}

/** A running set of NATS servers. */
export interface NatsCluster {
  /** client URLs, one per node */
  urls: string[];
  /** the URLs joined with commas, as --nats takes them */
  nats: string;
  kill(i: number): Promise<void>;
  restart(i: number): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts `size` nodes (1 = a single JetStream server) and waits until JetStream is healthy on all. */
export async function startNats(size = 3): Promise<NatsCluster> {
  const tmp = await tempDir();
  const nodes: Node[] = [];
  const routes = Array.from({ length: size }, () => freeTcpPort());
  for (let i = 0; i < size; i++) {
    const n: Node = {
      name: `n${i}`,
      port: freeTcpPort(),
      monitor: freeTcpPort(),
      conf: `${tmp.dir}/n${i}.conf`,
    };
    const cluster = size > 1
      ? `cluster {
  name: tickwire-test
  listen: 127.0.0.1:${routes[i]}
  routes: [${routes.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p}`).join(", ")}]
}`
      : "";
    await Deno.writeTextFile(
      n.conf,
      `server_name: ${n.name}
listen: 127.0.0.1:${n.port}
http: 127.0.0.1:${n.monitor}
jetstream {
  store_dir: "${tmp.dir}/${n.name}"
  max_memory_store: 64MB
  max_file_store: 2GB
}
${cluster}
`,
    );
    nodes.push(n);
  }
  const start = (n: Node) => {
    n.child = new Deno.Command("nats-server", {
      args: ["-c", n.conf],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
  };
  const healthy = async (n: Node, deadline: number) => {
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`http://127.0.0.1:${n.monitor}/healthz`);
        await r.body?.cancel();
        if (r.ok) return;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`nats-server ${n.name} not healthy in time`);
  };
  try {
    for (const n of nodes) start(n);
    const deadline = Date.now() + 30_000;
    for (const n of nodes) await healthy(n, deadline);
  } catch (e) {
    for (const n of nodes) n.child?.kill("SIGKILL");
    await tmp[Symbol.asyncDispose]();
    throw e;
  }
  const urls = nodes.map((n) => `nats://127.0.0.1:${n.port}`);
  return {
    urls,
    nats: urls.join(","),
    async kill(i) {
      const c = nodes[i].child;
      if (!c) return;
      c.kill("SIGKILL");
      await c.status;
      nodes[i].child = undefined;
    },
    async restart(i) {
      start(nodes[i]);
      await healthy(nodes[i], Date.now() + 30_000);
    },
    async [Symbol.asyncDispose]() {
      for (const n of nodes) {
        try {
          n.child?.kill("SIGKILL");
          await n.child?.status;
        } catch { /* gone */ }
      }
      await tmp[Symbol.asyncDispose]();
    },
  };
}
