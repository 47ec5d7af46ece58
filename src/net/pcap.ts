/**
 * Writes classic pcap files (nanosecond timestamps, link type Ethernet)
 * holding UDP datagrams in Ethernet (optionally 802.1Q-tagged) / IPv4 / UDP,
 * as a NIC would deliver them. Used by `deno task feed --pcap-out` and
 * `deno task import-lobster`; read back by the pcap and DPDK net_pcap feeds.
 *
 * @example
 * ```ts
 * import { PcapWriter } from "./pcap.ts";
 * const w = await PcapWriter.create("/tmp/x.pcap", { dstPort: 5555 });
 * w.write(new Uint8Array([1, 2, 3]), 1_700_000_000, 0);
 * await w.close();
 * ```
 * @module
 */

/** Addressing of the written packets. */
export interface PcapOptions {
  /** UDP destination port (5555). */
  dstPort?: number;
  /** UDP source port (40000). */
  srcPort?: number;
  /** IPv4 source (192.0.2.2, a documentation address). */
  srcIp?: string;
  /** IPv4 destination (192.0.2.1). */
  dstIp?: string;
  /** Add an 802.1Q tag with this VLAN id. */
  vlan?: number;
}

function ip4(s: string): number[] {
  const p = s.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) {
    throw new RangeError(`bad IPv4 address '${s}'`);
  }
  return p;
}

/** Internet checksum of bytes[off..off+len). */
function checksum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) | (b[off + i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/**
 * Builds one Ethernet frame carrying `payload` as a UDP datagram.
 * Returns a fresh array.
 */
export function udpPacket(payload: Uint8Array, o: PcapOptions = {}, ipId = 0): Uint8Array {
  const vlan = o.vlan !== undefined;
  const l2 = vlan ? 18 : 14;
  const pkt = new Uint8Array(l2 + 20 + 8 + payload.length);
  const dv = new DataView(pkt.buffer);
  pkt.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02], 0);
  if (vlan) {
    dv.setUint16(12, 0x8100);
    dv.setUint16(14, o.vlan! & 0x0fff);
  }
  dv.setUint16(l2 - 2, 0x0800);
  const ip = l2;
  pkt[ip] = 0x45;
  dv.setUint16(ip + 2, 20 + 8 + payload.length);
  dv.setUint16(ip + 4, ipId & 0xffff);
  dv.setUint16(ip + 6, 0x4000); // don't fragment
  pkt[ip + 8] = 64;
  pkt[ip + 9] = 17;
  pkt.set(ip4(o.srcIp ?? "192.0.2.2"), ip + 12);
  pkt.set(ip4(o.dstIp ?? "192.0.2.1"), ip + 16);
  dv.setUint16(ip + 10, checksum(pkt, ip, 20));
  const udp = ip + 20;
  dv.setUint16(udp, o.srcPort ?? 40000);
  dv.setUint16(udp + 2, o.dstPort ?? 5555);
  dv.setUint16(udp + 4, 8 + payload.length);
  pkt.set(payload, udp + 8); // UDP checksum 0: none (allowed in IPv4)
  return pkt;
}

/** Streams packets into a pcap file. */
export class PcapWriter {
  /** Packets written. */
  packets = 0;
  private chunks: Uint8Array[] = [];
  private pending = 0;

  private constructor(private readonly file: Deno.FsFile, private readonly opts: PcapOptions) {}

  /** Creates (truncates) `path` and writes the global header. */
  static async create(path: string, opts: PcapOptions = {}): Promise<PcapWriter> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const w = new PcapWriter(file, opts);
    const h = new Uint8Array(24);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, 0xa1b23c4d, true); // nanosecond-resolution pcap
    dv.setUint16(4, 2, true);
    dv.setUint16(6, 4, true);
    dv.setUint32(16, 262144, true); // snaplen
    dv.setUint32(20, 1, true); // LINKTYPE_ETHERNET
    w.push(h);
    return w;
  }

  private push(b: Uint8Array) {
    this.chunks.push(b);
    this.pending += b.length;
  }

  /** Appends one datagram stamped sec.nsec. Call flush() now and then. */
  write(payload: Uint8Array, sec: number, nsec: number): void {
    const pkt = udpPacket(payload, this.opts, this.packets);
    const rec = new Uint8Array(16);
    const dv = new DataView(rec.buffer);
    dv.setUint32(0, sec >>> 0, true);
    dv.setUint32(4, nsec >>> 0, true);
    dv.setUint32(8, pkt.length, true);
    dv.setUint32(12, pkt.length, true);
    this.push(rec);
    this.push(pkt);
    this.packets++;
  }

  /** Writes buffered packets to the file when over `threshold` bytes. */
  async flush(threshold = 0): Promise<void> {
    if (this.pending <= threshold || this.pending === 0) return;
    const all = new Uint8Array(this.pending);
    let o = 0;
    for (const c of this.chunks) {
      all.set(c, o);
      o += c.length;
    }
    this.chunks = [];
    this.pending = 0;
    let done = 0;
    while (done < all.length) done += await this.file.write(all.subarray(done));
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    this.file.close();
  }
}
