/*
 * feed_udp.c - kernel UDP receive with recvmmsg(2): the feed for users
 * without DPDK and the baseline for comparisons.
 * Options: listen (HOST:PORT, IPv4 or [IPv6]:PORT; required), listen_b (a
 * second address: the B line of an A/B pair; records carry their line in
 * the source field, see ring_layout.h), batch (64), rcvbuf (socket receive
 * buffer bytes, 8 MiB).
 * Datagrams the kernel dropped for lack of buffer space are counted from
 * SO_RXQ_OVFL in TW_STAT_KERNEL_DROPS (summed over the lines).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../include/tickwire.h"
#include "feed.h"

#define UDP_MAX_BATCH 256
#define UDP_MAX_LINES 2

/* One receiving socket and its recvmmsg vectors. */
typedef struct {
  int fd;
  uint32_t kernel_drops;
  uint8_t *bufs;
  struct mmsghdr *msgs;
  struct iovec *iov;
  char (*ctl)[64];
} udp_line;

static void line_free(udp_line *l) {
  free(l->bufs), free(l->msgs), free(l->iov), free(l->ctl);
  if (l->fd >= 0) close(l->fd);
}

static int line_open(tw_feed *f, udp_line *l, const char *listen,
                     uint64_t batch, uint64_t rcvbuf, uint32_t bufsz) {
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(l, 0, sizeof *l);
  l->fd = -1;
  if (tw_parse_hostport(listen, &ss, &sl) != 0)
    return tw_feed_fail(f, "udp: '%s' is not HOST:PORT (IPv4 or [IPv6])",
                        listen);
  l->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l->fd < 0) return tw_feed_fail(f, "udp: socket: %s", strerror(errno));
  int one = 1, rb = (int)(rcvbuf > 1u << 30 ? 1u << 30 : rcvbuf);
  setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
  setsockopt(l->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (bind(l->fd, (struct sockaddr *)&ss, sl) != 0)
    return tw_feed_fail(f, "udp: cannot listen on %s: %s", listen,
                        strerror(errno));
  l->bufs = malloc((size_t)bufsz * batch);
  l->msgs = calloc(batch, sizeof *l->msgs);
  l->iov = calloc(batch, sizeof *l->iov);
  l->ctl = calloc(batch, 64);
  if (!l->bufs || !l->msgs || !l->iov || !l->ctl)
    return tw_feed_fail(f, "udp: out of memory");
  for (uint32_t i = 0; i < batch; i++) {
    l->iov[i].iov_base = l->bufs + (size_t)i * bufsz;
    l->iov[i].iov_len = bufsz;
  }
  return TW_OK;
}

/*
 * One recvmmsg on a line; its datagrams go to the ring tagged with the
 * line. Returns the number received, 0 when none, -1 on a socket error.
 */
static int line_receive(tw_feed *f, udp_line *l, uint32_t line,
                        uint64_t batch) {
  for (uint32_t i = 0; i < batch; i++) {
    memset(&l->msgs[i].msg_hdr, 0, sizeof l->msgs[i].msg_hdr);
    l->msgs[i].msg_hdr.msg_iov = &l->iov[i];
    l->msgs[i].msg_hdr.msg_iovlen = 1;
    l->msgs[i].msg_hdr.msg_control = l->ctl[i];
    l->msgs[i].msg_hdr.msg_controllen = 64;
  }
  int n = recvmmsg(l->fd, l->msgs, (unsigned)batch, MSG_DONTWAIT, NULL);
  if (n <= 0) {
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      tw_feed_fail(f, "udp: recvmmsg: %s", strerror(errno));
      return -1;
    }
    return 0;
  }
  f->prod.source = (uint16_t)(TW_SRC_UDP | line << TW_SRC_LINE_SHIFT);
  uint64_t rx = tw_mono_ns();
  for (int i = 0; i < n; i++) {
    uint32_t len = l->msgs[i].msg_len;
    tw_stat_add(f, TW_STAT_PACKETS, 1);
    if ((l->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ||
        len > f->prod.max_record || len == 0) {
      tw_stat_add(f, TW_STAT_MALFORMED, 1);
      continue;
    }
    uint8_t *dst = tw_feed_reserve(f, len);
    if (dst) {
      memcpy(dst, l->iov[i].iov_base, len);
      tw_feed_commit(f, len, rx);
    }
  }
  /* The kernel's drop counter rides on each datagram; take the last. */
  struct msghdr *mh = &l->msgs[n - 1].msg_hdr;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
      memcpy(&l->kernel_drops, CMSG_DATA(c), 4);
  return n;
}

static void receive_loop(tw_feed *f, udp_line *lines, int nl, uint64_t batch) {
  while (!tw_stopping(f)) {
    int got = 0;
    for (int i = 0; i < nl; i++) {
      int n = line_receive(f, &lines[i], (uint32_t)i, batch);
      if (n < 0) return;
      got += n;
    }
    if (got > 0) {
      tw_idle_reset(f);
      uint64_t drops = 0;
      for (int i = 0; i < nl; i++) drops += lines[i].kernel_drops;
      tw_stat_set(f, TW_STAT_KERNEL_DROPS, drops);
      tw_producer_publish(&f->prod);
      continue;
    }
    tw_producer_publish(&f->prod);
    if (f->idle.kind == TW_IDLE_SLEEP && f->idle.count >= f->idle.spins) {
      /* Sleep in the kernel until data arrives (bounded for stop). */
      struct pollfd pfd[UDP_MAX_LINES];
      for (int i = 0; i < nl; i++) pfd[i] = (struct pollfd){lines[i].fd, POLLIN, 0};
      tw_stat_add(f, TW_STAT_NAPS, 1);
      poll(pfd, (nfds_t)nl, 20);
    } else {
      tw_idle_step(f);
    }
  }
}

int tw_run_udp(tw_feed *f) {
  const char *listen[UDP_MAX_LINES] = {tw_arg(f, "listen"), tw_arg(f, "listen_b")};
  uint64_t batch, rcvbuf;
  if (!listen[0]) return tw_feed_fail(f, "udp: no listen address (HOST:PORT)");
  if (tw_arg_u64(f, "batch", 64, &batch) ||
      tw_arg_u64(f, "rcvbuf", 8u << 20, &rcvbuf))
    return -1;
  if (batch < 1 || batch > UDP_MAX_BATCH)
    return tw_feed_fail(f, "udp: batch must be 1..%d", UDP_MAX_BATCH);
  int nl = listen[1] ? 2 : 1;
  udp_line lines[UDP_MAX_LINES];
  for (int i = 0; i < UDP_MAX_LINES; i++) lines[i] = (udp_line){.fd = -1};
  uint32_t bufsz = f->prod.max_record + 1; /* +1 detects oversize */
  int rc = TW_OK;
  for (int i = 0; i < nl && rc == TW_OK; i++)
    rc = line_open(f, &lines[i], listen[i], batch, rcvbuf, bufsz);
  if (rc == TW_OK) {
    tw_feed_ready(f);
    receive_loop(f, lines, nl, batch);
  }
  for (int i = 0; i < nl; i++) line_free(&lines[i]);
  return rc;
}
