/*
 * feed_pattern.c - test/benchmark producer: `count` records whose sizes
 * cycle from `min` to `max` bytes, byte j of record r being
 * (r * 131 + j * 7 + seed) & 0xff, so a consumer can check every byte.
 * TW_STAT_CHECKSUM is the sum of all delivered bytes plus their lengths.
 * Options: count (default 1000000), min (1), max (ring max record),
 * seed (0), batch (records per publish, 32), gap_ns (0: after a publish,
 * one time in 16, pause a random 0..gap_ns, so a consumer parks and is
 * woken at random moments), stall_ns (0: after one publish in 16384, pause
 * this long: a lost wake-up would leave the record before it waiting
 * that long).
 */
#include "feed.h"

/* One time in 16, a random pause below `gap` ns (xorshift64). */
static void pause(uint64_t *x, uint64_t gap) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  if ((*x & 15) != 0) return;
  uint64_t until = tw_mono_ns() + (*x >> 4) % gap;
  while (tw_mono_ns() < until) {
  }
}

int tw_run_pattern(tw_feed *f) {
  uint64_t count, min, max, seed, batch, gap, stall;
  if (tw_arg_u64(f, "gap_ns", 0, &gap) || tw_arg_u64(f, "stall_ns", 0, &stall) ||
      tw_arg_u64(f, "count", 1000000, &count) ||
      tw_arg_u64(f, "min", 1, &min) ||
      tw_arg_u64(f, "max", f->prod.max_record, &max) ||
      tw_arg_u64(f, "seed", 0, &seed) || tw_arg_u64(f, "batch", 32, &batch))
    return -1;
  if (min < 1 || max < min || max > f->prod.max_record || batch == 0)
    return tw_feed_fail(f, "pattern: need 1 <= min <= max <= %u, batch > 0",
                        f->prod.max_record);
  tw_feed_ready(f);
  uint64_t sum = 0, rng = seed * 2654435761u + 1;
  uint32_t len = (uint32_t)min;
  for (uint64_t r = 0; r < count && !tw_stopping(f); r++) {
    uint8_t *p = tw_feed_reserve(f, len);
    if (p) {
      uint32_t v = (uint32_t)(r * 131u + seed);
      for (uint32_t j = 0; j < len; j++, v += 7) {
        p[j] = (uint8_t)v;
        sum += (uint8_t)v;
      }
      sum += len;
      tw_feed_commit(f, len, tw_mono_ns());
    }
    if ((r + 1) % batch == 0) {
      tw_producer_publish(&f->prod);
      tw_stat_set(f, TW_STAT_CHECKSUM, sum);
      if (gap) pause(&rng, gap);
      if (stall && (r + 1) % 16384 == 0) tw_sleep_ns(stall);
    }
    len = len == max ? (uint32_t)min : len + 1;
  }
  tw_producer_publish(&f->prod);
  tw_stat_set(f, TW_STAT_CHECKSUM, sum);
  return 0;
}
