// Five ways a Worker can wake Deno's main thread, and what each costs:
// Atomics.waitAsync on a shared word (what the pipeline uses), a
// postMessage, a thread-safe FFI callback the Worker calls through its
// pointer, a non-blocking FFI call in which the main thread's promise
// waits on a futex (tw_ring_park on an empty ring) until the Worker calls
// tw_ring_wake, and a one-byte UDP datagram to a socket the main thread
// reads (Deno.listenDatagram: the wake-up the JSON baseline gets). The Worker stamps CLOCK_MONOTONIC (libtickwire's tw_now_ns) just
// before waking, at random gaps of 0.5-1.5 ms; the main thread stamps on
// resumption. Run: deno run -A bench/main_wake.ts
import { libraryPath, native } from "../src/native/lib.ts";
import { createRing } from "../src/ring/ring.ts";
import { UdpClient } from "../src/native/udp.ts";

const N = 3000;
const isWorker = (globalThis as unknown as { name?: string }).name === "wake";
const now = native().symbols.tw_now_ns;
const VOID = { parameters: [], result: "void" } as const;

if (isWorker) {
  const self_ = self as unknown as Worker;
  self_.onmessage = async (e: MessageEvent) => {
    const { sab, kind, ptr, ring } = e.data;
    const rb = new Uint8Array(ring), len = BigInt(ring.byteLength);
    const word = new Int32Array(sab), stamp = new Float64Array(sab, 8, 1);
    const call = new Deno.UnsafeFnPointer(Deno.UnsafePointer.create(ptr)!, VOID);
    const udp = kind === "udp" ? UdpClient.open(e.data.udp) : undefined;
    const one = new Uint8Array(1);
    for (let k = 0; k < N; k++) {
      const until = now() + 500_000 + Math.random() * 1_000_000;
      while (now() < until) await new Promise((r) => setTimeout(r, 0));
      stamp[0] = now();
      if (kind === "waitAsync") {
        Atomics.add(word, 0, 1);
        Atomics.notify(word, 0);
      } else if (kind === "postMessage") self_.postMessage(0);
      else if (udp) udp.trySend(one);
      else if (kind === "ffi park") native().symbols.tw_ring_wake(rb, len);
      else call.call();
    }
  };
} else {
  const lib = Deno.dlopen(libraryPath(), {
    tw_ring_park: { parameters: ["buffer", "u64", "u64"], result: "i32", nonblocking: true },
  });
  for (const kind of ["waitAsync", "postMessage", "ffi callback", "ffi park", "udp"]) {
    const ring = createRing(1 << 16, 1024),
      rb = new Uint8Array(ring),
      len = BigInt(ring.byteLength);
    const sab = new SharedArrayBuffer(16);
    const word = new Int32Array(sab), stamp = new Float64Array(sab, 8, 1);
    const lat: number[] = [];
    let wake: (() => void) | undefined;
    const cb = Deno.UnsafeCallback.threadSafe(VOID, () => wake?.());
    const w = new Worker(import.meta.url, { type: "module", name: "wake" });
    w.onmessage = () => wake?.();
    const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const udp = `127.0.0.1:${(sock.addr as Deno.NetAddr).port}`;
    w.postMessage({ sab, kind, ptr: Deno.UnsafePointer.value(cb.pointer), ring, udp });
    for (let k = 0; k < N; k++) {
      if (kind === "waitAsync") {
        const r = Atomics.waitAsync(word, 0, Atomics.load(word, 0), 1000);
        if (r.async) await r.value;
      } else if (kind === "ffi park") await lib.symbols.tw_ring_park(rb, len, 1_000_000_000n);
      else if (kind === "udp") await sock.receive(new Uint8Array(64));
      else await new Promise<void>((r) => wake = r);
      lat.push(now() - stamp[0]);
    }
    w.terminate();
    cb.close();
    sock.close();
    lat.sort((a, b) => a - b);
    const q = (p: number) => (lat[Math.floor(p * (lat.length - 1))] / 1000).toFixed(1);
    console.log(`${kind.padEnd(12)} p50 ${q(0.5)} µs  p90 ${q(0.9)} µs  p99 ${q(0.99)} µs`);
  }
  lib.close();
}
