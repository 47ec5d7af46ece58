/**
 * Loads libtickwire (ffi/build/libtickwire.so) with `Deno.dlopen` and
 * checks its ABI version. `TICKWIRE_LIB` overrides the path.
 *
 * @example
 * ```ts
 * import { native } from "./lib.ts";
 * console.log(native().symbols.tw_abi_version());
 * ```
 * @module
 */

/** ABI version this TypeScript code was written against (TW_ABI_VERSION). */
export const ABI_VERSION = 8;

const SYMBOLS = {
  tw_abi_version: { parameters: [], result: "u32" },
  tw_features: { parameters: [], result: "u32" },
  tw_layout: { parameters: ["i32"], result: "i64" },
  tw_stat_name: { parameters: ["i32"], result: "pointer" },
  tw_state_name: { parameters: ["i32"], result: "pointer" },
  tw_ring_check: { parameters: ["buffer", "u64"], result: "i32" },
  // blocks the calling thread (a Worker) until woken: not nonblocking on purpose
  tw_ring_park: { parameters: ["buffer", "u64", "u64"], result: "i32" },
  tw_ring_wake: { parameters: ["buffer", "u64"], result: "i32" },
  tw_feed_start: {
    parameters: ["buffer", "buffer", "u64", "buffer"],
    result: "pointer",
  },
  tw_feed_stats: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  tw_feed_error: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  tw_feed_stop: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  tw_last_error: { parameters: ["buffer", "i32"], result: "i32" },
  tw_idle: { parameters: ["u32"], result: "void" },
  tw_now_ns: { parameters: [], result: "f64" },
  tw_thread_timer_slack: { parameters: ["u32"], result: "i32" },
  tw_thread_pin: { parameters: ["i32"], result: "i32" },
  tw_thread_rt: { parameters: ["i32"], result: "i32" },
  tw_udp_open: { parameters: ["buffer"], result: "i32" },
  tw_udp_send: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  tw_udp_recv: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  tw_udp_close: { parameters: ["i32"], result: "i32" },
} as const;

/** The loaded library. */
export type NativeLib = Deno.DynamicLibrary<typeof SYMBOLS>;

/** The library is missing, stale or failed to load. */
export class NativeLibError extends Error {
  override name = "NativeLibError";
}

const HOW_TO_BUILD = "build it with 'deno task build' (needs a C compiler and make; " +
  "DPDK is optional: apt-get install -y libdpdk-dev dpdk pkg-config)";

/** Default location of the built library. */
export function libraryPath(): string {
  return Deno.env.get("TICKWIRE_LIB") ??
    new URL("../../ffi/build/libtickwire.so", import.meta.url).pathname;
}

let lib: NativeLib | undefined;

/** Opens `path` and checks its ABI version (throws NativeLibError). */
export function openLibrary(path: string): NativeLib {
  try {
    Deno.statSync(path);
  } catch {
    throw new NativeLibError(
      `libtickwire not found at ${path}: ${HOW_TO_BUILD}`,
    );
  }
  // Check the version through the one symbol every ABI has, so an old
  // library gets "rebuild" rather than a missing-symbol error.
  let v: number;
  try {
    const probe = Deno.dlopen(path, { tw_abi_version: SYMBOLS.tw_abi_version });
    v = probe.symbols.tw_abi_version();
    probe.close();
  } catch (e) {
    throw new NativeLibError(
      `cannot load ${path} (${(e as Error).message}); rebuild it: ${HOW_TO_BUILD}`,
    );
  }
  if (v !== ABI_VERSION) {
    throw new NativeLibError(
      `libtickwire at ${path} has ABI ${v}, this code needs ${ABI_VERSION}: ${HOW_TO_BUILD}`,
    );
  }
  let l: NativeLib;
  try {
    l = Deno.dlopen(path, SYMBOLS);
  } catch (e) {
    throw new NativeLibError(
      `cannot load ${path} (${(e as Error).message}); rebuild it: ${HOW_TO_BUILD}`,
    );
  }
  return l;
}

/** The process-wide library, opened on first use. */
export function native(): NativeLib {
  return lib ??= openLibrary(libraryPath());
}

/** True when the library was built with the DPDK receive path. */
export function hasDpdk(): boolean {
  return (native().symbols.tw_features() & 1) !== 0;
}

const enc = new TextEncoder();

/** NUL-terminated UTF-8 copy of `s` for C. */
export function cString(s: string): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(enc.encode(s).length + 1);
  enc.encodeInto(s, b);
  return b;
}

/** Reads a C string written into `buf`. */
export function fromCString(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}
