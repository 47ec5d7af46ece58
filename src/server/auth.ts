/**
 * Bearer-token checks in constant time: how long a comparison takes does
 * not depend on where a wrong token first differs.
 *
 * @example
 * ```ts
 * import { bearerOk, timingSafeEqual } from "./auth.ts";
 * console.log(timingSafeEqual("secret-1", "secret-1"), bearerOk("Bearer x", "y")); // true false
 * ```
 * @module
 */

const enc = new TextEncoder();

/** Compares two strings in time that depends only on their lengths. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = enc.encode(a), y = enc.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i % Math.max(1, x.length)] ?? 0) ^ y[i];
  return diff === 0;
}

/** True when no token is set, or the Authorization header carries it. */
export function bearerOk(header: string | null, token: string | undefined): boolean {
  if (!token) return true;
  return header !== null && timingSafeEqual(header, `Bearer ${token}`);
}
