/**
 * The FFI call floor: what one call into libtickwire costs from
 * TypeScript (the pipeline makes one per frame to read the clock), against
 * the baseline of reading performance.now() and a plain JS call.
 * @module
 */
import { native } from "../src/native/lib.ts";

const lib = native().symbols;
let sink = 0;

Deno.bench({
  name: "FFI tw_now_ns() (CLOCK_MONOTONIC)",
  group: "ffi",
  fn() {
    sink += lib.tw_now_ns();
  },
});

Deno.bench({
  name: "FFI tw_abi_version() (empty C function)",
  group: "ffi",
  fn() {
    sink += lib.tw_abi_version();
  },
});

Deno.bench({
  name: "performance.now()",
  group: "ffi",
  baseline: true,
  fn() {
    sink += performance.now();
  },
});

function jsCall(x: number): number {
  return x + 1;
}

Deno.bench({
  name: "plain JS function call",
  group: "ffi",
  fn() {
    sink = jsCall(sink) % 1e9;
  },
});
