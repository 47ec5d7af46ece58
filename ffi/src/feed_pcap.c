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
#include <stdlib.h>
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

/*
 * Buffered reading instead of mmap: a capture truncated while it is being
 * replayed then reads short (the end of the capture, counted) instead of
 * faulting (SIGBUS on a mapping past the new end of the file).
 */
#define RD_CAP (4u << 20)

typedef struct {
  int fd;
  uint8_t *buf;
  size_t start, end;
} reader;

/* Makes `n` bytes available at buf + start; 0 at the end of the file. */
static int need(reader *r, size_t n) {
  if (r->end - r->start >= n) return 1;
  if (n > RD_CAP) return 0;
  memmove(r->buf, r->buf + r->start, r->end - r->start);
  r->end -= r->start;
  r->start = 0;
  while (r->end < n) {
    ssize_t k = read(r->fd, r->buf + r->end, RD_CAP - r->end);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return 0;
    r->end += (size_t)k;
  }
  return 1;
}

/* Checks the file header; fills *swap and *nanos. Returns 0 or fails the feed. */
static int pcap_header(tw_feed *f, reader *r, const char *path, int *swap, int *nanos) {
  if (!need(r, 24))
    return tw_feed_fail(f, "pcap: '%s' is too short to be a capture", path);
  uint32_t magic;
  memcpy(&magic, r->buf, 4);
  *swap = magic == 0xD4C3B2A1u || magic == 0x4D3CB2A1u;
  *nanos = magic == 0xA1B23C4Du || magic == 0x4D3CB2A1u;
  if (magic != 0xA1B2C3D4u && magic != 0xA1B23C4Du && !*swap)
    return tw_feed_fail(f,
                        "pcap: '%s' is not a classic pcap file (magic %08x; "
                        "pcapng is not supported, convert with editcap -F "
                        "pcap)",
                        path, magic);
  uint32_t linktype = rd(r->buf + 20, *swap);
  if (linktype != 1)
    return tw_feed_fail(f, "pcap: '%s' has link type %u, need Ethernet (1)",
                        path, linktype);
  r->start = 24;
  return 0;
}

/* Waits until the packet stamped `ts` is due at the recorded pace x speed. */
static void pace(tw_feed *f, uint64_t ts, uint64_t first_ts, uint64_t t0, double speed) {
  uint64_t due = t0 + (uint64_t)((double)(ts > first_ts ? ts - first_ts : 0) / speed);
  for (uint64_t now = tw_mono_ns(); now + 2000 < due && !tw_stopping(f); now = tw_mono_ns()) {
    tw_producer_publish(&f->prod);
    uint64_t nap = due - now;
    tw_stat_add(f, TW_STAT_NAPS, 1);
    tw_sleep_ns(nap > 1000000 ? 1000000 : nap);
  }
}

/* One pass over the records; a short read is the end of the capture. */
static void replay(tw_feed *f, reader *r, int swap, int nanos, uint16_t port, double speed) {
  uint64_t first_ts = 0, t0 = tw_mono_ns();
  int first = 1;
  while (!tw_stopping(f) && need(r, 16)) {
    const uint8_t *h = r->buf + r->start;
    uint64_t sec = rd(h, swap), frac = rd(h + 4, swap);
    uint32_t incl = rd(h + 8, swap);
    if (!need(r, 16 + (size_t)incl)) {
      tw_stat_add(f, TW_STAT_MALFORMED, 1); /* truncated (or absurd) last record */
      break;
    }
    h = r->buf + r->start;
    if (speed > 0) {
      uint64_t ts = sec * 1000000000ull + (nanos ? frac : frac * 1000ull);
      if (first) first_ts = ts, first = 0;
      pace(f, ts, first_ts, t0, speed);
    }
    tw_feed_packet(f, h + 16, incl, port, tw_mono_ns());
    r->start += 16 + (size_t)incl;
    if ((tw_stat_peek(f, TW_STAT_PACKETS) & 31) == 0) tw_producer_publish(&f->prod);
  }
  tw_producer_publish(&f->prod);
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
  reader r = {open(path, O_RDONLY | O_CLOEXEC), malloc(RD_CAP), 0, 0};
  if (r.fd < 0 || !r.buf) {
    int err = errno;
    if (r.fd >= 0) close(r.fd);
    free(r.buf);
    return tw_feed_fail(f, "pcap: cannot open '%s': %s", path, strerror(err));
  }
  int swap = 0, nanos = 0, rc = pcap_header(f, &r, path, &swap, &nanos);
  if (rc == 0) {
    tw_feed_ready(f);
    do {
      replay(f, &r, swap, nanos, (uint16_t)port, speed);
      if (!loop || lseek(r.fd, 24, SEEK_SET) != 24) break;
      r.start = r.end = 0;
    } while (!tw_stopping(f));
  }
  close(r.fd);
  free(r.buf);
  return rc;
}
