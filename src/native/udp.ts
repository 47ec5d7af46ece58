/**
 * A non-blocking UDP client on libtickwire's sockets, for side channels a
 * synchronous loop must use without awaiting (the pipeline Worker never
 * yields to the event loop): MoldUDP64 re-requests and their responses.
 *
 * @example
 * ```ts ignore
 * import { UdpClient } from "./udp.ts";
 * const c = UdpClient.open("127.0.0.1:9001");
 * c.send(new Uint8Array(20));
 * const n = c.receive(new Uint8Array(65536)); // 0 when nothing came yet
 * c.close();
 * ```
 * @module
 */
import { native } from "./lib.ts";

/** A connected UDP socket (one owner thread). */
export class UdpClient {
  /** datagrams that could not be sent (a full socket buffer, no route, ...) */
  sendErrors = 0;
  /** receive errors (e.g. the server's port was closed: ICMP unreachable) */
  receiveErrors = 0;

  private constructor(private readonly fd: number, readonly address: string) {}

  /** Connects to HOST:PORT; throws with the reason when it cannot. */
  static open(address: string): UdpClient {
    const fd = native().symbols.tw_udp_open(new TextEncoder().encode(address + "\0"));
    if (fd < 0) throw new Error(`cannot open a UDP socket to ${address} (error ${-fd})`);
    return new UdpClient(fd, address);
  }

  /** Sends one datagram; never blocks. */
  send(packet: Uint8Array): void {
    if (this.trySend(packet) < 0) this.sendErrors++;
  }

  /**
   * Sends one datagram without blocking: bytes sent, or minus the errno
   * (`UdpClient.EAGAIN`/`ENOBUFS`: no room now, try again; `ECONNREFUSED`:
   * an earlier datagram found no receiver). Not counted in `sendErrors`.
   */
  trySend(packet: Uint8Array): number {
    return native().symbols.tw_udp_send(this.fd, packet, packet.length);
  }

  static readonly EAGAIN = -11;
  static readonly ENOBUFS = -105;
  static readonly ECONNREFUSED = -111;

  /** One waiting datagram into `into`: its length, 0 when none. */
  receive(into: Uint8Array): number {
    const n = native().symbols.tw_udp_recv(this.fd, into, into.length);
    if (n >= 0) return n;
    this.receiveErrors++;
    return 0;
  }

  close(): void {
    native().symbols.tw_udp_close(this.fd);
  }
}
