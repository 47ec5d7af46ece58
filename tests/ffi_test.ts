import assert from "node:assert/strict";
import {
  ABI_VERSION,
  hasDpdk,
  libraryPath,
  native,
  NativeLibError,
  openLibrary,
} from "../src/native/lib.ts";
import { sh, tempDir } from "./helpers.ts";

Deno.test("the library loads and reports its ABI and build features", () => {
  const lib = native().symbols;
  assert.equal(lib.tw_abi_version(), ABI_VERSION);
  assert.equal(typeof hasDpdk(), "boolean");
  const a = lib.tw_now_ns(), b = lib.tw_now_ns();
  assert.ok(b >= a && a > 0, "monotonic clock");
});

Deno.test("a missing library fails with a message that says how to build it", () => {
  assert.throws(
    () => openLibrary("/nonexistent/libtickwire.so"),
    (e) =>
      e instanceof NativeLibError && /not found/.test(e.message) &&
      /deno task build/.test(e.message),
  );
});

Deno.test("a library with another ABI version is refused with a rebuild hint", async () => {
  await using t = await tempDir();
  const src = `${t.dir}/old.c`, so = `${t.dir}/libold.so`;
  await Deno.writeTextFile(src, "unsigned tw_abi_version(void) { return 999; }\n");
  await sh("cc", ["-shared", "-fPIC", "-o", so, src]);
  assert.throws(
    () => openLibrary(so),
    (e) =>
      e instanceof NativeLibError && /ABI 999/.test(e.message) && /deno task build/.test(e.message),
  );
});

Deno.test("a file that is not a shared library fails clearly", async () => {
  await using t = await tempDir();
  const so = `${t.dir}/garbage.so`;
  await Deno.writeTextFile(so, "not an ELF file");
  assert.throws(
    () => openLibrary(so),
    (e) => e instanceof NativeLibError && /cannot load/.test(e.message),
  );
});

Deno.test("the default path points into ffi/build", () => {
  assert.match(libraryPath(), /ffi\/build\/libtickwire\.so$/);
});

Deno.test("the library exports only its public API", async () => {
  const out = await sh("nm", ["-D", "--defined-only", libraryPath()]);
  const exported = out.split("\n").filter((l) => / T /.test(l)).map((l) => l.split(" ").pop())
    .sort();
  assert.deepEqual(exported, [
    "tw_abi_version",
    "tw_features",
    "tw_feed_error",
    "tw_feed_start",
    "tw_feed_stats",
    "tw_feed_stop",
    "tw_idle",
    "tw_last_error",
    "tw_layout",
    "tw_now_ns",
    "tw_ring_check",
    "tw_ring_park",
    "tw_ring_wake",
    "tw_stat_name",
    "tw_state_name",
    "tw_thread_pin",
    "tw_thread_rt",
    "tw_thread_timer_slack",
    "tw_udp_close",
    "tw_udp_open",
    "tw_udp_recv",
    "tw_udp_send",
  ]);
});
