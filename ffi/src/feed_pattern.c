/*
 * feed_pattern.c - test/benchmark producer: `count` records whose sizes
 * cycle from `min` to `max` bytes, byte j of record r being
 * (r * 131 + j * 7 + seed) & 0xff, so a consumer can check every byte.
 * TW_STAT_CHECKSUM is the sum of all delivered bytes plus their lengths.
 * Options: count (default 1000000), min (1), max (ring max record),
 * seed (0), batch (records per publish, 32).
 */
#include "feed.h"

int tw_run_pattern(tw_feed *f) {
  uint64_t count, min, max, seed, batch;
  if (tw_arg_u64(f, "count", 1000000, &count) ||
      tw_arg_u64(f, "min", 1, &min) ||
      tw_arg_u64(f, "max", f->prod.max_record, &max) ||
      tw_arg_u64(f, "seed", 0, &seed) || tw_arg_u64(f, "batch", 32, &batch))
    return -1;
  if (min < 1 || max < min || max > f->prod.max_record || batch == 0)
    return tw_feed_fail(f, "pattern: need 1 <= min <= max <= %u, batch > 0",
                        f->prod.max_record);
  tw_feed_ready(f);
  uint64_t sum = 0;
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
    }
    len = len == max ? (uint32_t)min : len + 1;
  }
  tw_producer_publish(&f->prod);
  tw_stat_set(f, TW_STAT_CHECKSUM, sum);
  return 0;
}
