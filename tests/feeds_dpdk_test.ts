import assert from "node:assert/strict";
import { hasDpdk } from "../src/native/lib.ts";
import {
  deno,
  importLobster,
  isRoot,
  lastJson,
  lobsterFile,
  ROOT,
  sh,
  startTickwire,
  tempDir,
  tickwire,
} from "./helpers.ts";

type J = Record<string, number> & {
  gap_events: { first: number; last: number }[];
  feed_stats: Record<string, number>;
  port: Record<string, number>;
};

const EAL = "--no-huge --no-pci --no-shconf -m 512";
const dpdk = hasDpdk();
const inCi = Deno.env.get("CI") === "true";
if (!dpdk) {
  console.warn(
    "SKIPPED DPDK tests: libtickwire was built without DPDK (apt-get install -y libdpdk-dev dpdk pkg-config)",
  );
  if (inCi) throw new Error("CI must build libtickwire with DPDK");
}

Deno.test({
  name: "dpdk net_pcap: the LOBSTER AMZN day arrives as 11,419 trades, no malformed, gaps or drops",
  ignore: !dpdk,
  async fn() {
    await using t = await tempDir();
    const cap = `${t.dir}/amzn.pcap`;
    const imp = await importLobster(lobsterFile("AMZN"), "AMZN", cap);
    assert.equal(imp.code, 0, imp.stderr);
    const r = await tickwire([
      "--feed",
      "dpdk",
      "--eal",
      `${EAL} --vdev=net_pcap0,rx_pcap=${cap}`,
      "--exit-on-eof",
      "--no-http",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = lastJson<J>(r);
    assert.equal(s.trades, 11419);
    assert.equal(s.ticks, 11419);
    assert.deepEqual([s.malformed, s.gaps, s.ring_drops], [0, 0, 0]);
    assert.equal(s.port.ipackets, s.frames, "port statistics count every packet");
    assert.equal(s.port.imissed, 0);
    // the same capture through the non-DPDK pcap reader decodes identically
    const p = lastJson<J>(
      await tickwire(["--feed", "pcap", "--pcap", cap, "--exit-on-eof", "--quiet"]),
    );
    assert.equal(s.checksum, p.checksum);
    assert.equal(s.volume, p.volume);
  },
});

Deno.test({
  name: "dpdk net_pcap: VLAN-tagged synthetic capture, exact counts, checksum, injected gap range",
  ignore: !dpdk,
  async fn() {
    await using t = await tempDir();
    const cap = `${t.dir}/synth.pcap`;
    const sent = lastJson<J & { gaps: { first: number; last: number }[] }>(
      await deno("src/tools/feed.ts", [
        "--pcap-out",
        cap,
        "--vlan",
        "42",
        "--udp-port",
        "7000",
        "--count",
        "40000",
        "--rate",
        "0",
        "--seed",
        "8",
        "--drop-frame",
        "33",
        "--quiet",
      ]),
    );
    const r = await tickwire([
      "--feed",
      "dpdk",
      "--eal",
      `${EAL} --vdev=net_pcap0,rx_pcap=${cap}`,
      "--udp-port",
      "7000",
      "--exit-on-eof",
      "--quiet",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = lastJson<J>(r);
    assert.equal(s.frames, sent.frames);
    assert.equal(s.ticks, sent.ticks);
    assert.equal(s.checksum, sent.checksum);
    assert.equal(s.gaps, 1);
    assert.deepEqual(
      s.gap_events.map((g) => [g.first, g.last]),
      sent.gaps.map((g) => [g.first, g.last]),
    );
    // the wrong port keeps nothing and counts everything as other ports
    const o = lastJson<J>(
      await tickwire([
        "--feed",
        "dpdk",
        "--eal",
        `${EAL} --vdev=net_pcap0,rx_pcap=${cap}`,
        "--udp-port",
        "7001",
        "--exit-on-eof",
        "--quiet",
      ]),
    );
    assert.equal(o.ticks, 0);
    assert.equal(o.feed_stats.other_port, sent.frames);
  },
});

Deno.test({
  name: "dpdk: bad EAL arguments reach the user with DPDK's own words, exit 2, clean stdout",
  ignore: !dpdk,
  async fn() {
    const r = await tickwire([
      "--feed",
      "dpdk",
      "--eal",
      "--no-huge --definitely-not-an-eal-flag",
      "--exit-on-eof",
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /rte_eal_init failed/);
    assert.equal(r.stdout, "", "EAL's usage text does not pollute stdout");
    const n = await tickwire(["--feed", "dpdk", "--eal", EAL, "--exit-on-eof"]);
    assert.equal(n.code, 2);
    assert.match(n.stderr, /no DPDK port available/);
  },
});

async function withVeth(
  fn: (ns: string, ifRoot: string, peerIp: string, ownIp: string) => Promise<void>,
) {
  const id = `${Deno.pid % 10000}`;
  const ns = `twns${id}`, a = `twa${id}`, b = `twb${id}`;
  const ownIp = "10.213.7.1", peerIp = "10.213.7.2";
  try {
    await sh("ip", ["netns", "add", ns]);
    await sh("ip", ["link", "add", a, "type", "veth", "peer", "name", b]);
    await sh("ip", ["link", "set", b, "netns", ns]);
    await sh("ip", ["addr", "add", `${ownIp}/30`, "dev", a]);
    await sh("ip", ["link", "set", a, "up"]);
    await sh("ip", ["netns", "exec", ns, "ip", "addr", "add", `${peerIp}/30`, "dev", b]);
    await sh("ip", ["netns", "exec", ns, "ip", "link", "set", b, "up"]);
    await sh("ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
    await fn(ns, a, peerIp, ownIp);
  } finally {
    await sh("ip", ["link", "del", a]).catch(() => {});
    await sh("ip", ["netns", "del", ns]).catch(() => {});
  }
}

function sendFromNs(ns: string, to: string, args: string[]) {
  return sh("ip", [
    "netns",
    "exec",
    ns,
    Deno.execPath(),
    "run",
    "-A",
    `${ROOT}src/tools/feed.ts`,
    "--to",
    to,
    "--quiet",
    ...args,
  ]);
}

/** tickwire on DPDK net_af_packet bound to `iface`, keeping UDP port 5555. */
function afPacketReceiver(iface: string, extra: string[] = []) {
  return startTickwire([
    "--feed",
    "dpdk",
    "--eal",
    `${EAL} --vdev=net_af_packet0,iface=${iface}`,
    "--udp-port",
    "5555",
    "--status-interval",
    "0",
    ...extra,
  ]);
}

const canNetns = dpdk && isRoot();
if (dpdk && !isRoot()) {
  console.warn(
    "SKIPPED dpdk net_af_packet tests: creating network namespaces needs root (CI runs them as root)",
  );
  if (inCi) throw new Error("CI must run the af_packet tests as root");
}

Deno.test({
  name:
    "dpdk net_af_packet on a veth pair: traffic from another namespace arrives whole at a modest rate",
  ignore: !canNetns,
  async fn() {
    await withVeth(async (ns, iface, _peer, own) => {
      const bg = afPacketReceiver(iface);
      await bg.ready;
      const sent = JSON.parse(
        await sendFromNs(ns, `${own}:5555`, ["--count", "30000", "--rate", "20000", "--seed", "2"]),
      );
      await new Promise((r) => setTimeout(r, 500));
      const r = await bg.stop();
      assert.equal(r.code, 0, r.stderr);
      const s = lastJson<J>(r);
      assert.equal(s.ticks, sent.ticks);
      assert.equal(s.checksum, sent.checksum);
      assert.deepEqual([s.gaps, s.ring_drops, s.malformed], [0, 0, 0]);
      assert.ok(s.port.ipackets >= sent.frames);
    });
  },
});

Deno.test({
  name: "dpdk net_af_packet at a high rate: received plus counted losses equals sent",
  ignore: !canNetns,
  async fn() {
    await withVeth(async (ns, iface, _peer, own) => {
      // A deliberately small ring, so that the receive side must drop.
      const bg = afPacketReceiver(iface, ["--ring-size", "64K", "--max-record", "4096"]);
      await bg.ready;
      const sent = JSON.parse(
        await sendFromNs(ns, `${own}:5555`, ["--count", "600000", "--rate", "0", "--seed", "3"]),
      );
      await new Promise((r) => setTimeout(r, 500));
      const r = await bg.stop();
      assert.equal(r.code, 0, r.stderr);
      const s = lastJson<J>(r);
      const fs = s.feed_stats;
      // Every frame offered to the ring was delivered or counted as dropped.
      assert.equal(fs.pushed + s.ring_drops, fs.offered);
      // Every tick sent was received or is inside a detected sequence gap
      // (the gaps cover losses anywhere: socket, PMD, ring).
      assert.equal(s.ticks + s.missing, sent.ticks);
      assert.ok(s.ticks > 0);
      assert.ok(s.ring_drops > 0, "the small ring overflowed and counted it");
    });
  },
});

Deno.test("a library built without DPDK refuses --feed dpdk and says how to install it", async () => {
  await using t = await tempDir();
  const lib = `${t.dir}/libtickwire-nodpdk.so`;
  const src = ["ring", "feed", "feed_pattern", "feed_synth", "feed_udp", "feed_pcap", "udp_client"]
    .map((f) => `${ROOT}ffi/src/${f}.c`);
  await sh("cc", [
    "-std=c11",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-fPIC",
    "-fvisibility=hidden",
    "-pthread",
    "-shared",
    `-Wl,--version-script=${ROOT}ffi/tickwire.map`,
    "-o",
    lib,
    ...src,
    "-lm",
  ]);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}src/main.ts`, "--feed", "dpdk", "--eal", "--no-huge", "--no-http"],
    env: { TICKWIRE_LIB: lib },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2, err);
  assert.match(err, /built without DPDK/);
  assert.match(err, /apt-get install -y libdpdk-dev dpdk pkg-config/);
});
