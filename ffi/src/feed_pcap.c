/*
 * feed_pcap.c - replays a classic pcap file (microsecond or nanosecond
 * timestamps, either byte order, link type Ethernet) without DPDK.
 * Options: file (required), port (UDP destination port, 0 = any),
 * speed (0 = flat out; otherwise recorded pace x speed), loop (0).
 * End of file: the feed publishes everything and ends in state EOF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feed.h"
#include "packet.h"

static uint32_t rd(const uint8_t *p, int swap) {
  uint32_t v;
  memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}

/* Classifies one packet and pushes its payload; counts everything. */
void tw_feed_packet(tw_feed *f, const uint8_t *pkt, uint32_t len,
                    uint16_t port, uint64_t rx_ns) {
  const uint8_t *pl = NULL;
  uint32_t plen = 0;
  tw_stat_add(f, TW_STAT_PACKETS, 1);
  switch (tw_packet_udp(pkt, len, port, &pl, &plen)) {
    case TW_PKT_OK:
      if (plen == 0 || plen > f->prod.max_record) {
        tw_stat_add(f, TW_STAT_MALFORMED, 1);
        return;
      }
      {
        uint8_t *dst = tw_feed_reserve(f, plen);
        if (!dst) return;
        memcpy(dst, pl, plen);
        tw_feed_commit(f, plen, rx_ns);
      }
      return;
    case TW_PKT_NON_UDP: tw_stat_add(f, TW_STAT_NON_UDP, 1); return;
    case TW_PKT_OTHER_PORT: tw_stat_add(f, TW_STAT_OTHER_PORT, 1); return;
    default: tw_stat_add(f, TW_STAT_MALFORMED, 1); return;
  }
}

int tw_run_pcap(tw_feed *f) {
  const char *path = tw_arg(f, "file");
  uint64_t port, loop;
  double speed;
  if (!path || !*path) return tw_feed_fail(f, "pcap: no file given");
  if (tw_arg_u64(f, "port", 0, &port) || tw_arg_f64(f, "speed", 0, &speed) ||
      tw_arg_u64(f, "loop", 0, &loop))
    return -1;
  if (port > 65535) return tw_feed_fail(f, "pcap: port must be 0..65535");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return tw_feed_fail(f, "pcap: cannot open '%s': %s", path,
                        strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < 24) {
    close(fd);
    return tw_feed_fail(f, "pcap: '%s' is too short to be a capture", path);
  }
  size_t size = (size_t)st.st_size;
  uint8_t *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (m == MAP_FAILED)
    return tw_feed_fail(f, "pcap: cannot map '%s': %s", path, strerror(errno));
  uint32_t magic;
  memcpy(&magic, m, 4);
  int swap = 0, nanos = 0;
  if (magic == 0xA1B2C3D4u) {
  } else if (magic == 0xA1B23C4Du) {
    nanos = 1;
  } else if (magic == 0xD4C3B2A1u) {
    swap = 1;
  } else if (magic == 0x4D3CB2A1u) {
    swap = 1;
    nanos = 1;
  } else {
    munmap(m, size);
    return tw_feed_fail(f,
                        "pcap: '%s' is not a classic pcap file (magic %08x; "
                        "pcapng is not supported, convert with editcap -F "
                        "pcap)",
                        path, magic);
  }
  uint32_t linktype = rd(m + 20, swap);
  if (linktype != 1) {
    munmap(m, size);
    return tw_feed_fail(f, "pcap: '%s' has link type %u, need Ethernet (1)",
                        path, linktype);
  }
  tw_feed_ready(f);
  do {
    size_t off = 24;
    uint64_t first_ts = 0, t0 = tw_mono_ns();
    int first = 1;
    while (off + 16 <= size && !tw_stopping(f)) {
      uint64_t sec = rd(m + off, swap), frac = rd(m + off + 4, swap);
      uint32_t incl = rd(m + off + 8, swap);
      off += 16;
      if (incl > size - off) {
        tw_stat_add(f, TW_STAT_MALFORMED, 1); /* truncated last record */
        break;
      }
      if (speed > 0) {
        uint64_t ts = sec * 1000000000ull + (nanos ? frac : frac * 1000ull);
        if (first) {
          first_ts = ts;
          first = 0;
        }
        uint64_t due =
            t0 + (uint64_t)((double)(ts > first_ts ? ts - first_ts : 0) / speed);
        for (uint64_t now = tw_mono_ns(); now + 2000 < due && !tw_stopping(f);
             now = tw_mono_ns()) {
          tw_producer_publish(&f->prod);
          uint64_t nap = due - now;
          tw_stat_add(f, TW_STAT_NAPS, 1);
          tw_sleep_ns(nap > 1000000 ? 1000000 : nap);
        }
      }
      tw_feed_packet(f, m + off, incl, (uint16_t)port, tw_mono_ns());
      off += incl;
      if ((tw_stat_peek(f, TW_STAT_PACKETS) & 31) == 0)
        tw_producer_publish(&f->prod);
    }
    tw_producer_publish(&f->prod);
  } while (loop && !tw_stopping(f));
  munmap(m, size);
  return 0;
}
