/**
 * Where `deno task feed` sends its frames: UDP to HOST:PORT (numeric
 * addresses through libtickwire's non-blocking socket, one synchronous
 * `send(2)` per datagram, retried when the socket has no room; host names
 * through Deno's socket), or a pcap file.
 *
 * @example
 * ```ts ignore
 * const sink = udpSink("127.0.0.1:9000");
 * await sink.send(frame, sec, nsec);
 * await sink.close();
 * ```
 * @module
 */
import { UsageError } from "../cli/table.ts";
import { UdpClient } from "../native/udp.ts";
import { PcapWriter } from "../net/pcap.ts";

/** Where frames go. */
export interface Sink {
  send(frame: Uint8Array, sec: number, nsec: number): Promise<void>;
  close(): Promise<void>;
}

/** UDP to HOST:PORT: numeric addresses through libtickwire (one synchronous send), names through Deno. */
export function udpSink(to: string): Sink {
  const m = /^(.+):(\d+)$/.exec(to);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--to: expected HOST:PORT, got '${to}'`);
  const hostname = m[1].replace(/^\[|\]$/g, "");
  let client: UdpClient | undefined;
  try {
    client = UdpClient.open(to); // numeric addresses: one synchronous send() per datagram
  } catch {
    return denoUdpSink(hostname, Number(m[2])); // host names
  }
  return {
    send: async (f) => {
      for (let refused = 0;;) {
        const r = client.trySend(f);
        if (r >= 0) return;
        // an ICMP "port unreachable" for an earlier datagram (a DPDK receiver: the kernel beside it
        // has no socket on the port): reported once, this datagram was not sent, send it again
        if (r === UdpClient.ECONNREFUSED && ++refused < 8) continue;
        if (r === UdpClient.ECONNREFUSED) return; // nobody listens, as UDP goes
        if (r !== UdpClient.EAGAIN && r !== UdpClient.ENOBUFS) {
          throw new Error(`cannot send to ${to} (error ${-r})`);
        }
        await new Promise((res) => setTimeout(res, 0)); // no room: let the socket drain
      }
    },
    close: () => {
      client.close();
      return Promise.resolve();
    },
  };
}

function denoUdpSink(hostname: string, port: number): Sink {
  const addr = { transport: "udp" as const, hostname, port };
  const sock = Deno.listenDatagram({
    transport: "udp",
    hostname: hostname.includes(":") ? "::" : "0.0.0.0",
    port: 0,
  });
  return {
    send: async (f) => {
      await sock.send(f, addr);
    },
    close: () => {
      sock.close();
      return Promise.resolve();
    },
  };
}

/** A pcap file of UDP datagrams to `port` (optionally VLAN-tagged). */
export async function pcapSink(path: string, port: number, vlan?: number): Promise<Sink> {
  const w = await PcapWriter.create(path, { dstPort: port, vlan });
  return {
    send: (f, sec, nsec) => {
      w.write(f, sec, nsec);
      return w.flush(1 << 20);
    },
    close: () => w.close(),
  };
}
